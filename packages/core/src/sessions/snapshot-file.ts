import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { formatIssues } from './event-log.js';
import { compileFastCheck } from './fast-check.js';
import { hasCode } from './fs-atomic.js';
import { SessionSchema, type Session } from './schema.js';

const isExactSession = compileFastCheck(SessionSchema);

/** A snapshot file read: the session, or that it is missing, or why it cannot be used. */
export type SnapshotRead = { session?: Session; missing?: true; reason?: string };

function checkSnapshot(text: string): SnapshotRead {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { reason: `invalid JSON: ${(error as Error).message}` };
  }
  if (isExactSession(value)) return { session: value as Session };
  const parsed = SessionSchema.safeParse(value);
  return parsed.success ? { session: parsed.data } : { reason: `not a session: ${formatIssues(parsed.error.issues)}` };
}

function unreadable(error: unknown): SnapshotRead {
  return hasCode(error, 'ENOENT') ? { missing: true } : { reason: `unreadable: ${(error as Error).message}` };
}

/**
 * `list` reads every snapshot with blocking reads on purpose: a few KB from the page cache each,
 * and 500 of them take ~5 ms this way but ~30-60 ms through the promise API, whose open, stat,
 * read and close each queue on libuv's four-thread pool. `ao status` must stay under 300 ms.
 */
export function readSnapshotSync(path: string): SnapshotRead {
  try {
    return checkSnapshot(readFileSync(path, 'utf8'));
  } catch (error) {
    return unreadable(error);
  }
}

/** The snapshot as stored, or why it cannot be used. */
export async function readSnapshot(path: string): Promise<SnapshotRead> {
  try {
    return checkSnapshot(await readFile(path, 'utf8'));
  } catch (error) {
    return unreadable(error);
  }
}
