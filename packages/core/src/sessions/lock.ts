import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { AoError } from '../errors.js';
import { asDiskFull, hasCode, PRIVATE_FILE_MODE } from './fs-atomic.js';
import { pidAlive, processStartTime } from '../process.js';

/**
 * The one file lock of ao: sessions, approvals, plans, the spawn queue, workspaces, plugins
 * (`withFileLock` is exported to them) and the test kit all use it.
 *
 * A lock is abandoned when its holder is: the file names the holder's pid *and* its start time
 * (`processStartTime`), so a waiter breaks it only when that pid is gone or now belongs to another
 * process, never because it was held long: a live holder (a `git worktree add` that takes two
 * minutes) keeps its lock, and a waiter that cannot wait so long gets `LOCK_TIMEOUT` naming it.
 * Only a record that proves nothing (no start time: written by an older ao, or on a system where
 * start times cannot be read) falls back to its age.
 *
 * Lock timing always uses the real clock, never an injected one: the `ts` in a lock file is read
 * by other processes, and a test clock that never advances would wait forever.
 */
export interface FileLockOptions {
  /** Give up with `LOCK_TIMEOUT` after this long. Default 5 s. */
  timeoutMs?: number;
  /**
   * A lock whose holder cannot be proven alive or dead (no start time in the record, or none
   * readable for its pid) is abandoned after this long. Default 30 s. A proven live holder's lock
   * is never broken, whatever its age.
   */
  staleMs?: number;
}

interface LockRecord {
  pid: number;
  ts: number;
  token?: string;
  /** `processStartTime(pid)` when the lock was taken: what proves, later, that the pid is still the holder. */
  start?: string;
}

/** This process's start time, read once. */
let ownStart: string | undefined | null = null;
const myStart = (): string | undefined => {
  if (ownStart === null) ownStart = processStartTime(process.pid);
  return ownStart;
};

export const LOCK_TIMEOUT_MS = 5_000;
export const LOCK_STALE_MS = 30_000;

/**
 * Locks already held by the current async call chain, so `withFileLock` nested inside itself (a
 * manager step that holds the session lock and calls `store.append`) does not wait on itself.
 * Unrelated concurrent calls in the same process do not share this and queue normally.
 */
const held = new AsyncLocalStorage<ReadonlySet<string>>();

/** In-process queue per lock path: waiting on a promise beats polling a file we ourselves hold. */
const queues = new Map<string, Promise<void>>();

/**
 * Runs `fn` while holding the lock file `lockPath`, created exclusively with `{pid, start, ts}`
 * in it. A lock whose holder is gone (its pid dead, or reused by another process) is broken.
 * Waiting retries with a short growing backoff up to `timeoutMs`, then throws `LOCK_TIMEOUT`
 * naming the file and holder. The lock is released in `finally`, and only if it is still ours.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions): Promise<T> {
  const mine = held.getStore();
  if (mine?.has(lockPath)) return fn();

  const previous = queues.get(lockPath) ?? Promise.resolve();
  let done!: () => void;
  const turn = new Promise<void>((resolve) => (done = resolve));
  const tail = previous.then(() => turn);
  queues.set(lockPath, tail);
  try {
    await previous;
    const token = await acquire(lockPath, options);
    try {
      return await held.run(new Set([...(mine ?? []), lockPath]), fn);
    } finally {
      await release(lockPath, token);
    }
  } finally {
    done();
    if (queues.get(lockPath) === tail) queues.delete(lockPath);
  }
}

async function acquire(lockPath: string, options: FileLockOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? LOCK_TIMEOUT_MS;
  const staleMs = options.staleMs ?? LOCK_STALE_MS;
  const token = randomBytes(8).toString('hex');
  const started = Date.now();
  let delay = 5;
  for (;;) {
    const start = myStart();
    if (await tryCreate(lockPath, { pid: process.pid, ts: Date.now(), token, ...(start ? { start } : {}) })) return token;
    const { raw, holder } = await readHolder(lockPath);
    if (raw === undefined) continue; // released between our create and our read: try again now
    if (isStale(holder, Date.now(), staleMs)) {
      await breakLock(lockPath, raw);
      continue;
    }
    if (Date.now() - started >= timeoutMs) {
      const who = holder ? `process ${holder.pid}` : 'an unknown process (unreadable lock file)';
      // Not stale: the holder is alive (proven by its start time, or too recent to judge).
      throw new AoError(
        'LOCK_TIMEOUT',
        `Timed out after ${timeoutMs} ms waiting for lock ${lockPath}, held by ${who}, which is still running: ` +
          `retry once it is done, or end it if it hangs (its lock is then taken over).`,
        { details: { lockPath, holderPid: holder?.pid ?? null } },
      );
    }
    await sleep(delay + Math.floor(Math.random() * delay));
    delay = Math.min(delay * 2, 100);
  }
}

/**
 * Writes the record to a temp file and hard-links it into place: `link` fails with EEXIST like an
 * exclusive create, but a reader never sees the lock file empty (which it would judge abandoned).
 */
async function tryCreate(lockPath: string, record: LockRecord): Promise<boolean> {
  const temp = `${lockPath}.${record.token}.tmp`;
  try {
    await writeFile(temp, JSON.stringify(record), { flag: 'wx', mode: PRIVATE_FILE_MODE });
  } catch (error) {
    // A full disk lets the file be created and then refuses its bytes: never leave it behind.
    await unlink(temp).catch(() => {});
    throw asDiskFull(error, lockPath);
  }
  try {
    await link(temp, lockPath);
    return true;
  } catch (error) {
    if (hasCode(error, 'EEXIST')) return false;
    throw asDiskFull(error, lockPath);
  } finally {
    await unlink(temp).catch(() => {});
  }
}

async function readHolder(lockPath: string): Promise<{ raw?: string; holder?: LockRecord }> {
  let raw: string;
  try {
    raw = await readFile(lockPath, 'utf8');
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return {};
    throw error;
  }
  try {
    const parsed = JSON.parse(raw) as Partial<LockRecord>;
    if (typeof parsed.pid === 'number' && typeof parsed.ts === 'number') return { raw, holder: parsed as LockRecord };
  } catch {
    // fall through: unreadable content
  }
  return { raw };
}

/**
 * The holder is gone: its pid is dead, or alive with another start time (reused after a crash or
 * a reboot). A holder proven alive is never stale. Without a start time to compare (an old record,
 * or a system that shows none) age decides. Lock files are linked into place complete, so one we
 * cannot parse was damaged by something else; nobody can be holding it meaningfully: stale too.
 */
function isStale(holder: LockRecord | undefined, now: number, staleMs: number): boolean {
  if (!holder) return true;
  if (!pidAlive(holder.pid)) return true;
  const current = holder.start ? processStartTime(holder.pid) : undefined;
  if (holder.start && current) return current !== holder.start;
  return now - holder.ts > staleMs;
}

/**
 * Two waiters may judge the same lock abandoned at once, and between one waiter's judging and its
 * removing, another may have broken it and a third taken it afresh. So removal is serialized: a
 * breaker first takes the lock's breaker lock (`<lock>.break`, same record, same liveness proof),
 * then removes the lock only if it still holds the very content judged. Its holder being proven
 * gone, nobody but a breaker removes that content, and breakers take turns: a live holder's lock is
 * never removed. A breaker that died holding the breaker lock is itself judged the same way; its
 * breaker lock is moved aside and removed only if it is still the content judged.
 */
async function breakLock(lockPath: string, judged: string): Promise<void> {
  const breakPath = `${lockPath}.break`;
  const token = randomBytes(8).toString('hex');
  const start = myStart();
  if (!(await tryCreate(breakPath, { pid: process.pid, ts: Date.now(), token, ...(start ? { start } : {}) }))) {
    // Another waiter is breaking it (the caller retries), unless that breaker is gone.
    const { raw, holder } = await readHolder(breakPath);
    if (raw !== undefined && isStale(holder, Date.now(), LOCK_STALE_MS)) await removeIfUnchanged(breakPath, raw);
    return;
  }
  try {
    const { raw } = await readHolder(lockPath);
    if (raw === judged) {
      await unlink(lockPath).catch((error: unknown) => {
        if (!hasCode(error, 'ENOENT')) throw error;
      });
    }
  } finally {
    await release(breakPath, token);
  }
}

/**
 * Removes `path` if it still holds `judged`: moved aside first (atomic), and put back with `link`
 * (which never clobbers a newer file) when what was moved is not what was judged.
 */
async function removeIfUnchanged(path: string, judged: string): Promise<void> {
  const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return;
    throw error;
  }
  try {
    const moved = await readFile(aside, 'utf8');
    if (moved !== judged) {
      await link(aside, path).catch((error: unknown) => {
        if (!hasCode(error, 'EEXIST')) throw error;
      });
    }
  } finally {
    await unlink(aside).catch(() => {});
  }
}

async function release(lockPath: string, token: string): Promise<void> {
  const { holder } = await readHolder(lockPath);
  // Not ours any more (broken as stale after a very long hold): leave the new holder alone.
  if (holder?.token !== token) return;
  await unlink(lockPath).catch((error: unknown) => {
    if (!hasCode(error, 'ENOENT')) throw error;
  });
}

/**
 * The one id-reservation protocol (session ids, plan ids, local issue ids): under the id lock of
 * the directory (`lockPath`), the next number is one above the highest `used()` reports, and
 * `create(n)` makes its record before the lock is released. So two processes never get the same
 * number, and a number stays taken for as long as its record exists. A holder that dies mid-way
 * leaves nothing half-reserved: its lock is broken (see `withFileLock`) and its number, never
 * written, is handed out again.
 */
export async function reserveNextNumber<T>(
  lockPath: string,
  used: () => Promise<Iterable<number>>,
  create: (n: number) => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  return withFileLock(lockPath, async () => create(1 + Math.max(0, ...(await used()))), { timeoutMs: 30_000, ...options });
}
