import { open, readdir, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { systemClock } from '../clock.js';
import type { AoPaths } from '../contracts/plugin.js';
import { AoError, isAoError } from '../errors.js';
import { followEventLog, formatIssues, readEventLog } from './event-log.js';
import { appendDurable, asDiskFull, exists, hasCode, mkdirPrivate, nonEmpty, PRIVATE_FILE_MODE, writeFileAtomic } from './fs-atomic.js';
import { reserveNextNumber, withFileLock } from './lock.js';
import { readSnapshot } from './snapshot-file.js';
import { SessionSchema, type Session, type SessionEvent, type SessionEventInput } from './schema.js';
import { applyEvents, toEvent } from './store-fold.js';
import { createSessionLister } from './store-list.js';
import { checkName, escapeRegExp } from './store-names.js';
import type { AppendResult, SessionFiles, SessionStore, SessionStoreOptions } from './store-types.js';

export type { FollowOptions, StoreProblem } from './event-log.js';
export type { AppendResult, RebuiltSnapshot, SessionFiles, SessionList, SessionStore, SessionStoreOptions } from './store-types.js';
export { applyEvents } from './store-fold.js';

/**
 * The session store: `<id>.events.jsonl` is the truth, `<id>.json` its cached fold, every write under
 * the per-session lock. Listing lives in store-list.ts, the fold in store-fold.ts, the types in store-types.ts.
 */
export function createSessionStore(paths: AoPaths, options: SessionStoreOptions = {}): SessionStore {
  const clock = options.clock ?? systemClock;
  const nowIso = (): string => new Date(clock.now()).toISOString();

  const files = (project: string, id: string): SessionFiles => {
    checkName('project', project);
    checkName('session id', id);
    const dir = paths.sessions(project);
    return { snapshot: join(dir, `${id}.json`), log: join(dir, `${id}.events.jsonl`), lock: join(dir, `${id}.lock`) };
  };

  const notFound = (project: string, id: string): AoError =>
    new AoError('SESSION_NOT_FOUND', `Session "${id}" not found in project "${project}": run \`ao session ls\` to list sessions.`, {
      details: { project, id },
    });

  const withLock = <T>(project: string, id: string, fn: () => Promise<T>): Promise<T> =>
    withFileLock(files(project, id).lock, fn, { timeoutMs: options.lockTimeoutMs, staleMs: options.lockStaleMs });

  /** Folds the whole log from nothing; the first event must carry the full session. */
  const foldLog = (project: string, id: string, events: readonly SessionEvent[], why: string): Session => {
    const { log } = files(project, id);
    const folded = applyEvents({} as Session, events);
    const parsed = SessionSchema.safeParse(folded);
    if (!parsed.success) {
      throw new AoError(
        'SESSION_CORRUPT',
        `Session "${id}" cannot be read: ${why}, and its event log ${log} does not rebuild it ` +
          `(${formatIssues(parsed.error.issues)}). Move both files aside (e.g. into archive/) to drop the session.`,
        { details: { project, id, path: log } },
      );
    }
    return parsed.data;
  };

  /**
   * Under the lock: the current snapshot, trusting `<id>.json` only when it reflects the last
   * logged event (a crash between log append and snapshot write leaves it one step behind).
   */
  const current = async (project: string, id: string): Promise<{ session: Session; events: SessionEvent[] }> => {
    const { snapshot, log } = files(project, id);
    const parsedLog = await readEventLog(log);
    const stored = await readSnapshot(snapshot);
    const last = parsedLog.events.at(-1);
    if (parsedLog.events.length === 0) {
      if (stored.session) return { session: stored.session, events: [] }; // log lost: keep going from the snapshot
      if (stored.reason) throw corrupt(project, id, snapshot, stored.reason);
      throw notFound(project, id);
    }
    if (stored.session && last && stored.session.lastEvent?.ts === last.ts && stored.session.lastEvent.type === last.type) {
      return { session: stored.session, events: parsedLog.events };
    }
    const why = stored.reason ? `${snapshot} is ${stored.reason}` : stored.missing ? `${snapshot} is missing` : `${snapshot} is behind its log`;
    return { session: foldLog(project, id, parsedLog.events, why), events: parsedLog.events };
  };

  /**
   * The snapshot is a cache of the log. Once the log holds the events, a snapshot that cannot be
   * rewritten (a full disk) is removed instead, so every reader rebuilds from the log rather than
   * trusting a stale one; the write itself has succeeded.
   */
  const writeSnapshot = async (snapshot: string, session: Session): Promise<void> => {
    try {
      await writeFileAtomic(snapshot, JSON.stringify(session, null, 2) + '\n');
    } catch (error) {
      if (!isAoError(error) || error.code !== 'DISK_FULL') throw error;
      await unlink(snapshot).catch((gone: unknown) => {
        if (!hasCode(gone, 'ENOENT')) throw error;
      });
    }
  };

  const corrupt = (project: string, id: string, path: string, reason: string): AoError =>
    new AoError('SESSION_CORRUPT', `Session file ${path} is corrupt (${reason}) and there is no event log to rebuild it from.`, {
      details: { project, id, path, reason },
    });

  const appendWithResult = async (project: string, id: string, inputs: readonly SessionEventInput[]): Promise<AppendResult> =>
    withLock(project, id, async () => {
      const { snapshot, log } = files(project, id);
      const { session, events: logged } = await current(project, id);
      const seen = new Set(logged.flatMap((event) => (event.key === undefined ? [] : [event.key])));
      const appended: SessionEvent[] = [];
      for (const input of inputs) {
        if (input.key !== undefined) {
          if (seen.has(input.key)) continue;
          seen.add(input.key);
        }
        appended.push(toEvent(input, nowIso));
      }
      const next = applyEvents(session, appended);
      const changedIdentity = appended.find((event) => {
        const set = event.set ?? {};
        return ('id' in set && set.id !== id) || ('project' in set && set.project !== project);
      });
      if (changedIdentity) {
        throw new AoError('SESSION_STATE', `Event "${changedIdentity.type}" may not change the id or project of session "${id}".`, {
          details: { project, id, event: changedIdentity.type },
        });
      }
      const parsed = SessionSchema.safeParse(next);
      if (!parsed.success) {
        // Checked before anything is written: a bad event in the log would poison every rebuild.
        throw new AoError(
          'SESSION_STATE',
          `Events [${appended.map((event) => event.type).join(', ')}] would make session "${id}" invalid: ${formatIssues(parsed.error.issues)}.`,
          { details: { project, id } },
        );
      }
      if (appended.length > 0) {
        await appendDurable(log, appended.map((event) => JSON.stringify(event)).join('\n') + '\n');
        await writeSnapshot(snapshot, parsed.data);
      }
      return { session: parsed.data, appended };
    });

  const get = async (project: string, id: string): Promise<Session> => {
    const { snapshot, log } = files(project, id);
    const stored = await readSnapshot(snapshot);
    if (stored.session) return stored.session;
    if (stored.missing && !(await nonEmpty(log))) throw notFound(project, id);
    // Corrupt or missing snapshot: the log is the truth, so rebuild and rewrite under the lock.
    try {
      return await withLock(project, id, async () => {
        const again = await readSnapshot(snapshot);
        if (again.session) return again.session; // someone else repaired it meanwhile
        const { session } = await current(project, id);
        await writeSnapshot(snapshot, session);
        return session;
      });
    } catch (error) {
      // A full disk refuses even the lock file: a read still answers, from the log alone.
      if (!isAoError(error) || error.code !== 'DISK_FULL') throw error;
      return (await current(project, id)).session;
    }
  };

  const { list, listProjects } = createSessionLister({ paths, files, get });

  const readLog = async (project: string, id: string, opts: { since?: number } = {}) => {
    const { log } = files(project, id);
    const parsed = await readEventLog(log);
    if (!parsed.exists) throw notFound(project, id);
    const since = opts.since;
    const events = since === undefined ? parsed.events : parsed.events.filter((event) => Date.parse(event.ts) >= since);
    return { events, problems: parsed.problems };
  };

  return {
    files,
    withLock,
    appendWithResult,
    get,
    list,
    readLog,

    async reserveId(project, prefix) {
      checkName('id prefix', prefix);
      const dir = paths.sessions(project);
      await mkdirPrivate(join(dir, 'archive'));
      const pattern = new RegExp(`^${escapeRegExp(prefix)}-(\\d+)\\.`);
      // The one reservation protocol (reserveNextNumber): the empty log, created under the ids
      // lock, is the reservation. Archived sessions count, so a number is never handed out twice.
      return reserveNextNumber(
        join(dir, `.ids-${prefix}.lock`),
        async () => [...(await readdir(dir)), ...(await readdir(join(dir, 'archive')))].map((name) => Number(pattern.exec(name)?.[1] ?? 0)),
        async (n) => {
          const id = `${prefix}-${n}`;
          try {
            await (await open(files(project, id).log, 'wx', PRIVATE_FILE_MODE)).close();
          } catch (error) {
            throw asDiskFull(error, files(project, id).log);
          }
          return id;
        },
      );
    },

    async create(project, session) {
      const parsed = SessionSchema.safeParse(session);
      if (!parsed.success) {
        throw new AoError('SESSION_STATE', `Cannot create session "${session.id}": ${formatIssues(parsed.error.issues)}.`, {
          details: { project, id: session.id },
        });
      }
      const { id } = parsed.data;
      if (parsed.data.project !== project) {
        throw new AoError('SESSION_STATE', `Session "${id}" says project "${parsed.data.project}" but is being created in "${project}".`);
      }
      const { snapshot, log } = files(project, id);
      await mkdirPrivate(join(dirname(log), 'archive'));
      return withLock(project, id, async () => {
        if ((await nonEmpty(log)) || (await exists(snapshot)) || (await exists(join(dirname(log), 'archive', `${id}.events.jsonl`)))) {
          throw new AoError('SESSION_STATE', `Session "${id}" already exists in project "${project}"; ids are never reused.`, {
            details: { project, id },
          });
        }
        const event = toEvent({ type: 'session.created', set: parsed.data }, nowIso);
        const created = SessionSchema.parse(applyEvents(parsed.data, [event]));
        await appendDurable(log, JSON.stringify(event) + '\n');
        await writeSnapshot(snapshot, created);
        return created;
      });
    },

    async append(project, id, events) {
      return (await appendWithResult(project, id, events)).session;
    },

    async update(project, id, type, set, data) {
      return (await appendWithResult(project, id, [{ type, set, ...(data ? { data } : {}) }])).session;
    },

    async find(id) {
      checkName('session id', id);
      const projects = await listProjects();
      const hits = (
        await Promise.all(
          projects.map(async (project) => {
            const { snapshot, log } = files(project, id);
            return (await exists(snapshot)) || (await nonEmpty(log)) ? project : null;
          }),
        )
      ).filter((project): project is string => project !== null);
      if (hits.length === 0) {
        throw new AoError('SESSION_NOT_FOUND', `Session "${id}" not found in any project: run \`ao session ls\` to list sessions.`, {
          details: { id },
        });
      }
      if (hits.length > 1) {
        throw new AoError('USAGE', `Session id "${id}" exists in projects ${hits.join(', ')}: pass --project to pick one.`, {
          details: { id, projects: hits },
        });
      }
      return get(hits[0]!, id);
    },

    async events(project, id, opts) {
      return (await readLog(project, id, opts)).events;
    },

    async follow(project, id, onEvent, signal, opts) {
      const { log } = files(project, id);
      if (!(await exists(log))) throw notFound(project, id);
      await followEventLog(log, onEvent, signal, opts);
    },

    async archive(project, id) {
      const { snapshot, log } = files(project, id);
      const archiveDir = join(dirname(log), 'archive');
      await mkdirPrivate(archiveDir);
      await withLock(project, id, async () => {
        if ((await exists(log)) && !(await nonEmpty(log)) && !(await exists(snapshot))) {
          // Reserved but never created (a spawn failed early): archive the reservation itself.
          await rename(log, join(archiveDir, `${id}.events.jsonl`));
          return;
        }
        await appendWithResult(project, id, [{ type: 'session.archived' }]);
        // Log first: while it is moving, the snapshot still marks the id as used in the live dir.
        await rename(log, join(archiveDir, `${id}.events.jsonl`));
        await rename(snapshot, join(archiveDir, `${id}.json`));
      });
    },
  };
}

