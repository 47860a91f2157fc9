import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AoPaths, Clock } from '../contracts/plugin.js';
import { AoError } from '../errors.js';
import { mkdirPrivate, readJsonRecord, writeJsonRecord } from '../sessions/fs-atomic.js';
import { withFileLock } from '../sessions/lock.js';
import type { SessionStore } from '../sessions/store.js';
import { loggedApprovals, logApproval, newerFromLog } from './events.js';
import { ApprovalSchema, type Approval, type ApprovalAction, type ApprovalStatus } from './schema.js';

export interface ApprovalStoreOptions {
  paths: AoPaths;
  clock: Clock;
  /** Where each change of an approval is logged, as an `approval.*` event of its session. */
  sessions: SessionStore;
  /** Pending approvals expire this long after creation. Default 24. */
  expiryHours?: number;
}

export interface NewApproval {
  /** Idempotency key of the reaction asking; the approval id is derived from it. */
  key: string;
  project: string;
  sessionId: string;
  action: ApprovalAction;
  reason: string;
  reaction: string;
}

export interface ApprovalFilter {
  status?: ApprovalStatus;
  project?: string;
  sessionId?: string;
}

/**
 * The approval queue: one JSON file per approval under `<AO_HOME>/approvals/`, written atomically
 * under a per-approval lock so the CLI, the daemon and the dashboard may decide concurrently.
 * A pending approval past `expiresAt` is marked `expired` whenever it is read.
 *
 * Every change (requested, approved, rejected, expired, executed) is first appended to the
 * session's event log as an `approval.*` event carrying the whole approval (see `events.ts`), then
 * written to the file, both under the session's lock and then the approval's (always in that order).
 * The log is the truth: a crash between the two leaves the file behind, and the next read of
 * the approval (get, list, decide, a retried create) rewrites it from the log.
 */
export interface ApprovalStore {
  /** Creates the approval for `key`, or returns the one that exists (`created: false`). */
  create(input: NewApproval): Promise<{ approval: Approval; created: boolean }>;
  /** Throws `APPROVAL_NOT_FOUND`. */
  get(id: string): Promise<Approval>;
  /**
   * Newest first; unreadable files are skipped (and named in `problems`). `record: false` only
   * reads: an overdue one is listed expired and a file behind its log is listed as the log says,
   * and neither is written (for `ao status`, `ao watch`).
   */
  list(filter?: ApprovalFilter, options?: { record?: boolean }): Promise<{ approvals: Approval[]; problems: { path: string; reason: string }[] }>;
  /**
   * Approves or rejects a pending approval. Throws `APPROVAL_STATE` when it is no longer pending
   * (already decided, or expired — the message says which).
   */
  decide(id: string, decision: 'approved' | 'rejected', options?: { by?: string; message?: string }): Promise<Approval>;
  /**
   * Withdraws a pending approval because what it asked about changed (status `expired`,
   * `decidedBy: 'ao'`, `supersededBy`, `message`: why). Undefined when it was no longer pending.
   */
  supersede(id: string, by: string, why: string): Promise<Approval | undefined>;
  /** Records that the approved action ran (once), with its outcome. */
  markExecuted(id: string, outcome: string): Promise<Approval>;
  dir: string;
}

/** `ap-<8 hex>`: short enough to type, derived from the key so a retried reaction finds its approval. */
export function approvalIdFor(key: string): string {
  return `ap-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
}

const ID = /^ap-[0-9a-f]{8}$/;

export function createApprovalStore(options: ApprovalStoreOptions): ApprovalStore {
  const { clock, sessions } = options;
  const dir = join(options.paths.home, 'approvals');
  const expiryMs = (options.expiryHours ?? 24) * 3_600_000;
  const iso = (ms = clock.now()): string => new Date(ms).toISOString();
  const file = (id: string): string => {
    if (!ID.test(id)) {
      throw new AoError('APPROVAL_NOT_FOUND', `"${id}" is not an approval id (they look like ap-1a2b3c4d): run \`ao approvals ls\``, { exitCode: 2 });
    }
    return join(dir, `${id}.json`);
  };
  type Place = Pick<Approval, 'id' | 'project' | 'sessionId'>;
  /** The session's lock (when it has a log), then the approval's: the one order, so nobody deadlocks. */
  const lock = <T>(a: Place, fn: () => Promise<T>): Promise<T> => {
    const held = (): Promise<T> => withFileLock(join(dir, `${a.id}.lock`), fn, {});
    return existsSync(sessions.files(a.project, a.sessionId).log) ? sessions.withLock(a.project, a.sessionId, held) : held();
  };
  const write = (approval: Approval): Promise<void> => writeJsonRecord(file(approval.id), approval);
  /** A change: the event first (the truth), then the file. Under `lock`. */
  const record = async (approval: Approval): Promise<Approval> => {
    await logApproval(sessions, approval);
    await write(approval);
    return approval;
  };

  async function read(id: string): Promise<Approval | undefined> {
    const path = file(id);
    return readJsonRecord(path, ApprovalSchema, () =>
      new AoError('APPROVAL_STATE', `Approval file ${path} is corrupt; move it aside to drop it.`, { details: { path } }));
  }

  /**
   * Under `lock`: the approval as it is, the file repaired from the session's log when the log is
   * further along. `place` finds the log when the file is missing (a create cut short).
   */
  async function current(place: Place): Promise<Approval | undefined> {
    const inFile = await read(place.id);
    const where = inFile ?? place;
    const fromLog = newerFromLog(inFile, (await loggedApprovals(sessions, where.project, where.sessionId)).get(place.id));
    if (!fromLog) return inFile;
    await write(fromLog);
    return fromLog;
  }

  const notFound = (id: string): AoError =>
    new AoError('APPROVAL_NOT_FOUND', `Approval ${id} not found: run \`ao approvals ls\` to list them.`, { details: { id } });

  /** Lock-free check against the log (the common case: in step); repairs under `lock` when behind. */
  async function inStep(approvals: Approval[], repair = true): Promise<Approval[]> {
    const bySession = new Map<string, Approval[]>();
    for (const a of approvals) bySession.set(`${a.project}/${a.sessionId}`, [...(bySession.get(`${a.project}/${a.sessionId}`) ?? []), a]);
    const out: Approval[] = [];
    for (const group of bySession.values()) {
      const logged = await loggedApprovals(sessions, group[0]!.project, group[0]!.sessionId);
      for (const a of group) {
        const fromLog = newerFromLog(a, logged.get(a.id));
        out.push(!fromLog ? a : repair ? ((await lock(a, () => current(a))) ?? a) : fromLog);
      }
    }
    return out;
  }

  const isExpired = (a: Approval): boolean => a.status === 'pending' && Date.parse(a.expiresAt) <= clock.now();
  const expiredNow = (a: Approval): Approval => ({ ...a, status: 'expired', decidedAt: a.expiresAt, decidedBy: 'expiry' });

  /** Marks an overdue pending approval expired (under its lock, re-reading first). */
  async function expireIfDue(a: Approval): Promise<Approval> {
    if (!isExpired(a)) return a;
    return lock(a, async () => {
      const now = (await current(a)) ?? a;
      return isExpired(now) ? record(expiredNow(now)) : now;
    });
  }

  async function mustRead(id: string): Promise<Approval> {
    const found = await read(id);
    if (!found) throw notFound(id);
    return found;
  }

  /** Runs `fn` on the approval as it is, under `lock`. Throws `APPROVAL_NOT_FOUND`. */
  async function change<T>(id: string, fn: (a: Approval) => Promise<T>): Promise<T> {
    const place = await mustRead(id);
    return lock(place, async () => fn((await current(place)) ?? place));
  }

  return {
    dir,
    async create(input) {
      const id = approvalIdFor(input.key);
      await mkdirPrivate(dir);
      const place = { id, project: input.project, sessionId: input.sessionId };
      return lock(place, async () => {
        const inFile = await read(id);
        if (inFile) return { approval: inFile, created: false };
        // Logged but never filed (a crash between the two): the same approval, and nobody was told yet.
        const logged = await current(place);
        if (logged) return { approval: logged, created: true };
        const now = clock.now();
        const approval: Approval = {
          id,
          project: input.project,
          sessionId: input.sessionId,
          action: input.action,
          reason: input.reason,
          reaction: input.reaction,
          key: input.key,
          status: 'pending',
          createdAt: iso(now),
          expiresAt: iso(now + expiryMs),
        };
        return { approval: await record(approval), created: true };
      });
    },

    async get(id) {
      const [a] = await inStep([await mustRead(id)]);
      return expireIfDue(a!);
    },

    async list(filter = {}, { record: write = true } = {}) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { approvals: [], problems: [] };
        throw error;
      }
      const approvals: Approval[] = [];
      const problems: { path: string; reason: string }[] = [];
      for (const name of names) {
        if (!name.endsWith('.json') || name.startsWith('.')) continue;
        const id = name.slice(0, -'.json'.length);
        if (!ID.test(id)) continue;
        try {
          const a = await read(id);
          if (a) approvals.push(a);
        } catch (error) {
          problems.push({ path: join(dir, name), reason: (error as Error).message });
        }
      }
      const mine = approvals.filter((a) => (!filter.project || a.project === filter.project) && (!filter.sessionId || a.sessionId === filter.sessionId));
      // Only a pending one can be behind its log in a way that matters to a reader (a decision
      // the file missed); decided ones are checked by whoever changes them next.
      const checked = [...mine.filter((a) => a.status !== 'pending'), ...(await inStep(mine.filter((a) => a.status === 'pending'), write))];
      const fresh: Approval[] = [];
      for (const a of checked) {
        try {
          fresh.push(write ? await expireIfDue(a) : isExpired(a) ? expiredNow(a) : a);
        } catch (error) {
          problems.push({ path: file(a.id), reason: (error as Error).message });
        }
      }
      const matching = fresh.filter((a) => !filter.status || a.status === filter.status);
      matching.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id.localeCompare(b.id)));
      return { approvals: matching, problems };
    },

    async decide(id, decision, opts = {}) {
      return change(id, async (current) => {
        if (isExpired(current)) {
          await record(expiredNow(current));
          throw new AoError('APPROVAL_STATE', `Approval ${id} expired at ${current.expiresAt}; nothing was done. ao asks again on a new occurrence (a new commit, new review comments).`, {
            details: { id, status: 'expired' },
          });
        }
        if (current.supersededBy) {
          throw new AoError('APPROVAL_STATE', `Approval ${id} was withdrawn: ${current.message ?? 'what it asked about changed'}${current.supersededBy.startsWith('ap-') ? `; decide ${current.supersededBy} instead (ao approvals ls)` : ''}.`, {
            details: { id, status: current.status, supersededBy: current.supersededBy },
          });
        }
        if (current.status !== 'pending') {
          throw new AoError('APPROVAL_STATE', `Approval ${id} is already ${current.status}${current.decidedBy ? ` (by ${current.decidedBy})` : ''}; it can be decided only once.`, {
            details: { id, status: current.status },
          });
        }
        const decided: Approval = {
          ...current,
          status: decision,
          decidedAt: iso(),
          ...(opts.by ? { decidedBy: opts.by } : {}),
          ...(opts.message ? { message: opts.message } : {}),
        };
        return record(decided);
      });
    },

    async supersede(id, by, why) {
      return change(id, async (current) => {
        if (current.status !== 'pending' || isExpired(current)) return undefined;
        return record({ ...current, status: 'expired', decidedAt: iso(), decidedBy: 'ao', supersededBy: by, message: why });
      });
    },

    async markExecuted(id, outcome) {
      return change(id, async (current) => {
        if (current.executedAt) return current;
        return record({ ...current, executedAt: iso(), outcome });
      });
    },
  };
}

