/**
 * The local pull request store: one JSON file per PR under `<project dir>/prs/<id>.json`.
 *
 * Ids are reserved by ao's one protocol (`reserveNextNumber`: one above the highest, written under
 * the store's lock), so two processes opening PRs at once never share an id; records are written
 * atomically, so a reader never sees a half-written one. Updates are read-modify-write under the
 * same lock, re-reading the record inside it, so a review added by `ao review` is not lost when the
 * daemon's CI run finishes.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AoError, describeError, mkdirPrivate, reserveNextNumber, readJsonRecord, withFileLock, writeJsonRecord, z, type Logger, type PullRequest } from '@ao/core/plugin';

const ReviewSchema = z
  .object({
    decision: z.enum(['approved', 'changes_requested', 'commented']),
    author: z.string(),
    body: z.string(),
    ts: z.string(),
    /** The PR head the reviewer looked at. */
    sha: z.string().optional(),
    /** Comments on lines of the diff. */
    comments: z.array(z.object({ path: z.string(), line: z.number().int(), body: z.string() })).optional(),
  })
  .passthrough();

const CiRunSchema = z
  .object({
    state: z.enum(['pending', 'passing', 'failing']),
    startedAt: z.string(),
    finishedAt: z.string().optional(),
    /** Null when the command never exited on its own (timed out, could not start). */
    exitCode: z.number().nullable().optional(),
    logTail: z.string().optional(),
    /** The ao process running a pending run; a dead pid means the run was interrupted. */
    pid: z.number().optional(),
    /** How the run's checkout got the project's dependencies. */
    dependencies: z.object({ how: z.enum(['reused', 'installed', 'none']), summary: z.string() }).optional(),
    /** How long each phase of the run took, in ms (what CI adds to the test command itself); the checkout is removed after the result is recorded. */
    timings: z
      .object({
        checkoutMs: z.number().optional(),
        dependenciesMs: z.number().optional(),
        setupMs: z.number().optional(),
        commandMs: z.number().optional(),
      })
      .optional(),
  })
  .passthrough();

const RecordShape = z.object({
  id: z.string(),
  title: z.string(),
  body: z.string(),
  branch: z.string(),
  baseBranch: z.string(),
  state: z.enum(['open', 'merged', 'closed']),
  headSha: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  reviews: z.array(ReviewSchema),
  /** CI results keyed by the head sha they ran on. */
  ci: z.record(CiRunSchema),
  mergedSha: z.string().optional(),
  /** The session workspace the PR was opened from: its installed dependencies may serve CI. */
  workspacePath: z.string().optional(),
});

/** Unknown fields are kept, so a newer ao's additions survive an older one's rewrite. */
export const LocalPullRequestSchema = RecordShape.passthrough();

export type LocalReview = z.infer<typeof ReviewSchema>;
export type LocalCiRun = z.infer<typeof CiRunSchema>;
/** A local pull request as stored on disk. */
export type LocalPullRequest = z.infer<typeof RecordShape>;

/** The contract's view of a record. */
export function toPullRequest(record: LocalPullRequest): PullRequest {
  return {
    id: record.id,
    title: record.title,
    branch: record.branch,
    baseBranch: record.baseBranch,
    state: record.state,
    headSha: record.headSha,
  };
}

export interface PrStore {
  dir: string;
  /** Every readable record, lowest id first. Corrupt files are logged and skipped. */
  list(): Promise<LocalPullRequest[]>;
  /** The record, or null when there is none. Throws `PR_CORRUPT` for an unreadable file. */
  get(id: string): Promise<LocalPullRequest | null>;
  /** Like `get` but throws `PR_NOT_FOUND`. */
  require(id: string): Promise<LocalPullRequest>;
  /**
   * Stores a new record under the next free id and returns it — unless `existing` finds a record
   * first (checked under the lock, so two concurrent opens for one branch make one PR).
   */
  create(fields: Omit<LocalPullRequest, 'id'>, existing?: (records: LocalPullRequest[]) => LocalPullRequest | undefined): Promise<LocalPullRequest>;
  /** Re-reads the record under the lock, applies `mutate` and writes it back atomically. */
  update(id: string, mutate: (record: LocalPullRequest) => LocalPullRequest | void): Promise<LocalPullRequest>;
}

const RECORD_NAME = /^(\d+)\.json$/;
const LOCK_WAIT_MS = 5_000;
/** A lock file this old belongs to a process that died inside the (millisecond) critical section. */
const LOCK_STALE_MS = 10_000;

export function createPrStore(dir: string, logger: Logger): PrStore {
  const pathOf = (id: string) => join(dir, `${id}.json`);

  async function readRecord(id: string): Promise<LocalPullRequest | null> {
    const path = pathOf(id);
    const record = await readJsonRecord(path, LocalPullRequestSchema, (reason) =>
      new AoError('PR_CORRUPT', `Local pull request record ${path} is unreadable (${reason}): fix or delete the file`, { details: { path } }));
    return record ?? null;
  }

  async function withLock<T>(fn: () => Promise<T>): Promise<T> {
    await mkdirPrivate(dir);
    return withFileLock(join(dir, '.lock'), fn, { timeoutMs: LOCK_WAIT_MS, staleMs: LOCK_STALE_MS });
  }

  /** ao's one id reservation (`reserveNextNumber`), under the store's lock (re-entered: the caller holds it). */
  async function createRecord(fields: Omit<LocalPullRequest, 'id'>): Promise<LocalPullRequest> {
    return reserveNextNumber(
      join(dir, '.lock'),
      async () => (await readdir(dir)).map((name) => Number(RECORD_NAME.exec(name)?.[1] ?? 0)),
      async (n) => {
        const record: LocalPullRequest = { id: String(n), ...fields };
        await writeJsonRecord(pathOf(record.id), record);
        return record;
      },
      { timeoutMs: LOCK_WAIT_MS, staleMs: LOCK_STALE_MS },
    );
  }

  const store: PrStore = {
    dir,
    async list() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if (hasCode(error, 'ENOENT')) return [];
        throw error;
      }
      const ids = names.flatMap((name) => RECORD_NAME.exec(name)?.[1] ?? []).sort((a, b) => Number(a) - Number(b));
      const records: LocalPullRequest[] = [];
      for (const id of ids) {
        try {
          const record = await readRecord(id);
          if (record) records.push(record);
        } catch (error) {
          logger.warn({ err: describeError(error), id }, 'skipping unreadable local pull request');
        }
      }
      return records;
    },
    get: readRecord,
    async require(id) {
      const record = await readRecord(id);
      if (!record) {
        throw new AoError('PR_NOT_FOUND', `No local pull request #${id} (looked for ${pathOf(id)})`, { details: { id, path: pathOf(id) } });
      }
      return record;
    },
    create(fields, existing) {
      return withLock(async () => {
        const found = existing?.(await store.list());
        return found ?? createRecord(fields);
      });
    },
    update(id, mutate) {
      return withLock(async () => {
        const current = await store.require(id);
        const next = mutate(current) ?? current;
        await writeJsonRecord(pathOf(id), next);
        return next;
      });
    },
  };
  return store;
}

function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
