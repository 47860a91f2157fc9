import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AoPaths, Clock } from '../contracts/plugin.js';
import { AoError } from '../errors.js';
import { mkdirPrivate, readJsonRecord, writeJsonRecord } from '../sessions/fs-atomic.js';
import { withFileLock } from '../sessions/lock.js';
import { ApprovalSchema, type Approval, type ApprovalAction, type ApprovalStatus } from './schema.js';

export interface ApprovalStoreOptions {
  paths: AoPaths;
  clock: Clock;
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
 */
export interface ApprovalStore {
  /** Creates the approval for `key`, or returns the one that exists (`created: false`). */
  create(input: NewApproval): Promise<{ approval: Approval; created: boolean }>;
  /** Throws `APPROVAL_NOT_FOUND`. */
  get(id: string): Promise<Approval>;
  /** Newest first; unreadable files are skipped (and named in `problems`). */
  list(filter?: ApprovalFilter): Promise<{ approvals: Approval[]; problems: { path: string; reason: string }[] }>;
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
  const { clock } = options;
  const dir = join(options.paths.home, 'approvals');
  const expiryMs = (options.expiryHours ?? 24) * 3_600_000;
  const iso = (ms = clock.now()): string => new Date(ms).toISOString();
  const file = (id: string): string => {
    if (!ID.test(id)) {
      throw new AoError('APPROVAL_NOT_FOUND', `"${id}" is not an approval id (they look like ap-1a2b3c4d): run \`ao approvals ls\``, { exitCode: 2 });
    }
    return join(dir, `${id}.json`);
  };
  const lock = <T>(id: string, fn: () => Promise<T>): Promise<T> => withFileLock(join(dir, `${id}.lock`), fn, {});
  const write = (approval: Approval): Promise<void> => writeJsonRecord(file(approval.id), approval);

  async function read(id: string): Promise<Approval | undefined> {
    const path = file(id);
    return readJsonRecord(path, ApprovalSchema, () =>
      new AoError('APPROVAL_STATE', `Approval file ${path} is corrupt; move it aside to drop it.`, { details: { path } }));
  }

  const isExpired = (a: Approval): boolean => a.status === 'pending' && Date.parse(a.expiresAt) <= clock.now();

  /** Marks an overdue pending approval expired (under its lock, re-reading first). */
  async function expireIfDue(a: Approval): Promise<Approval> {
    if (!isExpired(a)) return a;
    return lock(a.id, async () => {
      const current = (await read(a.id)) ?? a;
      if (!isExpired(current)) return current;
      const expired: Approval = { ...current, status: 'expired', decidedAt: current.expiresAt, decidedBy: 'expiry' };
      await write(expired);
      return expired;
    });
  }

  async function mustRead(id: string): Promise<Approval> {
    const found = await read(id);
    if (!found) throw new AoError('APPROVAL_NOT_FOUND', `Approval ${id} not found: run \`ao approvals ls\` to list them.`, { details: { id } });
    return found;
  }

  return {
    dir,
    async create(input) {
      const id = approvalIdFor(input.key);
      await mkdirPrivate(dir);
      return lock(id, async () => {
        const existing = await read(id);
        if (existing) return { approval: existing, created: false };
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
        await write(approval);
        return { approval, created: true };
      });
    },

    async get(id) {
      return expireIfDue(await mustRead(id));
    },

    async list(filter = {}) {
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
          if (a) approvals.push(await expireIfDue(a));
        } catch (error) {
          problems.push({ path: join(dir, name), reason: (error as Error).message });
        }
      }
      const matching = approvals.filter(
        (a) =>
          (!filter.status || a.status === filter.status) &&
          (!filter.project || a.project === filter.project) &&
          (!filter.sessionId || a.sessionId === filter.sessionId),
      );
      matching.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id.localeCompare(b.id)));
      return { approvals: matching, problems };
    },

    async decide(id, decision, opts = {}) {
      return lock(id, async () => {
        const current = await mustRead(id);
        if (isExpired(current)) {
          await write({ ...current, status: 'expired', decidedAt: current.expiresAt, decidedBy: 'expiry' });
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
        await write(decided);
        return decided;
      });
    },

    async supersede(id, by, why) {
      return lock(id, async () => {
        const current = await mustRead(id);
        if (current.status !== 'pending' || isExpired(current)) return undefined;
        const withdrawn: Approval = { ...current, status: 'expired', decidedAt: iso(), decidedBy: 'ao', supersededBy: by, message: why };
        await write(withdrawn);
        return withdrawn;
      });
    },

    async markExecuted(id, outcome) {
      return lock(id, async () => {
        const current = await mustRead(id);
        if (current.executedAt) return current;
        const done: Approval = { ...current, executedAt: iso(), outcome };
        await write(done);
        return done;
      });
    },
  };
}

