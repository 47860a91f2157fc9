import { open, readdir, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { systemClock } from '../clock.js';
import type { AoPaths, Clock } from '../contracts/plugin.js';
import { AoError, isAoError } from '../errors.js';
import { followEventLog, formatIssues, readEventLog, type FollowOptions, type StoreProblem } from './event-log.js';
import { appendDurable, asDiskFull, exists, hasCode, mkdirPrivate, nonEmpty, PRIVATE_FILE_MODE, writeFileAtomic } from './fs-atomic.js';
import { reserveNextNumber, withFileLock } from './lock.js';
import { readSnapshot, readSnapshotSync } from './snapshot-file.js';
import { SessionSchema, type Session, type SessionEvent, type SessionEventInput } from './schema.js';

export type { FollowOptions, StoreProblem } from './event-log.js';

export interface SessionStoreOptions {
  /** Stamps event `ts`. Lock timing always uses the real clock (lock files are shared). */
  clock?: Clock;
  /** How long `withLock` waits for a busy session before `LOCK_TIMEOUT`. Default 5 s. */
  lockTimeoutMs?: number;
  /** Age after which a lock is broken even if its holder lives. Default 30 s. */
  lockStaleMs?: number;
}

/** The files of one session, for messages and tools that must name them. */
export interface SessionFiles {
  snapshot: string;
  log: string;
  lock: string;
}

export interface AppendResult {
  session: Session;
  /** The events actually written: inputs whose `key` was already in the log are left out. */
  appended: SessionEvent[];
}

export interface SessionList {
  sessions: Session[];
  /** Files that could not be read; each was skipped and every other session still listed. */
  problems: StoreProblem[];
  /** Snapshots that were corrupt or missing and have been rebuilt from their logs (only when any were). */
  rebuilt?: RebuiltSnapshot[];
}

/** A snapshot `list` rewrote from its event log: `path` was `reason`, `log` is where it came from. */
export interface RebuiltSnapshot {
  path: string;
  log: string;
  reason: string;
}

/**
 * The one place session state is kept: `<id>.events.jsonl` (the truth, append-only) and
 * `<id>.json` (its fold, cached for fast reads) under `paths.sessions(project)`.
 * Every write happens under the per-session lock, so any number of processes may share it.
 */
export interface SessionStore {
  /** `<prefix>-<n>`, n one above any id the project ever used (archive included); unique across processes. */
  reserveId(project: string, prefix: string): Promise<string>;
  /** Records a new session (its id reserved or not) with a `session.created` event. */
  create(project: string, session: Session): Promise<Session>;
  /** Appends events (skipping already-logged `key`s), folds them and rewrites the snapshot. */
  append(project: string, id: string, events: readonly SessionEventInput[]): Promise<Session>;
  appendWithResult(project: string, id: string, events: readonly SessionEventInput[]): Promise<AppendResult>;
  /** One event: `type` plus the fields it sets. */
  update(project: string, id: string, type: string, set: Partial<Session>, data?: Record<string, unknown>): Promise<Session>;
  /** The snapshot; rebuilt from the log (and rewritten) when it is missing or corrupt. */
  get(project: string, id: string): Promise<Session>;
  /** Looks the id up in every project. */
  find(id: string): Promise<Session>;
  /** Every session of one project, or of all; unreadable snapshots land in `problems`. */
  list(project?: string): Promise<SessionList>;
  /** The event log, oldest first; `since` keeps events with `ts` at or after it (epoch ms). */
  events(project: string, id: string, options?: { since?: number }): Promise<SessionEvent[]>;
  /** Like `events`, plus the corrupt lines that were skipped. */
  readLog(project: string, id: string, options?: { since?: number }): Promise<{ events: SessionEvent[]; problems: StoreProblem[] }>;
  /** Tails the log until `signal` aborts (see `followEventLog`). */
  follow(
    project: string,
    id: string,
    onEvent: (event: SessionEvent) => void | Promise<void>,
    signal: AbortSignal,
    options?: FollowOptions,
  ): Promise<void>;
  /**
   * Appends `session.archived`, then moves snapshot and log into `archive/`; the id stays used.
   * A reserved id that was never created has only its empty log moved.
   */
  archive(project: string, id: string): Promise<void>;
  /** Runs `fn` holding the session lock; re-entrant within one call chain. */
  withLock<T>(project: string, id: string, fn: () => Promise<T>): Promise<T>;
  files(project: string, id: string): SessionFiles;
}

const ID_PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Folds events onto a snapshot: each event's `set` is merged field by field (shallow: a `set.pr`
 * replaces the whole `pr`), and every event stamps `updatedAt` and `lastEvent`. Pure, so the
 * lifecycle can preview a transition; the store validates the result before writing anything.
 */
export function applyEvents(session: Session, events: readonly SessionEvent[]): Session {
  let next: Session = session;
  for (const event of events) {
    next = { ...next, ...(event.set as Partial<Session> | undefined), updatedAt: event.ts, lastEvent: { type: event.type, ts: event.ts } };
  }
  return next;
}

export function createSessionStore(paths: AoPaths, options: SessionStoreOptions = {}): SessionStore {
  const clock = options.clock ?? systemClock;
  const projectsRoot = dirname(paths.project('_'));
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

  const listProject = async (project: string): Promise<SessionList> => {
    const dir = paths.sessions(project);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if (hasCode(error, 'ENOENT')) return { sessions: [], problems: [] };
      return { sessions: [], problems: [{ path: dir, reason: `unreadable: ${(error as Error).message}` }] };
    }
    const present = new Set(names);
    const sessions: Session[] = [];
    const problems: StoreProblem[] = [];
    const rebuilt: RebuiltSnapshot[] = [];
    /** The log is the truth: `get` folds it and rewrites the snapshot; say so, by path. */
    const rebuild = async (id: string, reason: string): Promise<void> => {
      const { snapshot, log } = files(project, id);
      try {
        sessions.push(await get(project, id));
        rebuilt.push({ path: snapshot, log, reason });
      } catch (error) {
        problems.push({ path: reason === 'missing' ? log : snapshot, reason: (error as Error).message });
      }
    };
    await Promise.all(
      names.map(async (name) => {
        if (name.startsWith('.')) return;
        if (name.endsWith('.json')) {
          const path = join(dir, name);
          const result = readSnapshotSync(path);
          if (result.session) sessions.push(result.session);
          if (!result.reason) return;
          // Corrupt next to a log: rebuilt from it (the docs promise this); alone: reported.
          const id = name.slice(0, -'.json'.length);
          const log = `${id}.events.jsonl`;
          if (present.has(log) && (await nonEmpty(join(dir, log)))) await rebuild(id, result.reason);
          else problems.push({ path, reason: result.reason });
        } else if (name.endsWith('.events.jsonl')) {
          // A log without a snapshot: a reserved id (empty log, spawn under way), a crash before
          // the first snapshot write, or a snapshot removed because a full disk refused it.
          const id = name.slice(0, -'.events.jsonl'.length);
          if (present.has(`${id}.json`) || !(await nonEmpty(join(dir, name)))) return;
          await rebuild(id, 'missing');
        }
      }),
    );
    return rebuilt.length > 0 ? { sessions, problems, rebuilt } : { sessions, problems };
  };

  const listProjects = async (): Promise<string[]> => {
    try {
      const entries = await readdir(projectsRoot, { withFileTypes: true });
      return entries.filter((entry) => entry.isDirectory() && ID_PART.test(entry.name)).map((entry) => entry.name);
    } catch (error) {
      if (hasCode(error, 'ENOENT')) return [];
      throw error;
    }
  };

  const list = async (project?: string): Promise<SessionList> => {
    const projects = project === undefined ? await listProjects() : [project];
    const parts = await Promise.all(projects.map(listProject));
    const sessions = parts.flatMap((part) => part.sessions);
    sessions.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : compareIds(a.id, b.id)));
    const rebuilt = parts.flatMap((part) => part.rebuilt ?? []);
    return { sessions, problems: parts.flatMap((part) => part.problems), ...(rebuilt.length > 0 ? { rebuilt } : {}) };
  };

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

function toEvent(input: SessionEventInput, nowIso: () => string): SessionEvent {
  const event: SessionEvent = { ts: input.ts ?? nowIso(), type: input.type };
  if (input.data !== undefined) event.data = input.data;
  if (input.set !== undefined) event.set = input.set as Record<string, unknown>;
  if (input.key !== undefined) event.key = input.key;
  return event;
}

/** Names become file names: refuse separators and dot-files before they reach the file system. */
function checkName(what: string, value: string): void {
  if (!ID_PART.test(value) || value.includes('..')) {
    throw new AoError('USAGE', `Invalid ${what} "${value}": use letters, digits, '.', '_' and '-' only.`, { details: { [what]: value } });
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `app-2` before `app-10`. One collator: `localeCompare` with options builds one per call. */
const compareIds = new Intl.Collator('en', { numeric: true }).compare;
