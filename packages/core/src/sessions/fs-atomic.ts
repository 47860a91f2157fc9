import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { z } from 'zod';
import { AoError } from '../errors.js';

/** Codes of a write that failed for lack of space (or of quota): the file system is full for us. */
const NO_SPACE = ['ENOSPC', 'EDQUOT'];

/**
 * `DISK_FULL` naming `path` when `error` is a no-space failure, else `error` as is. The message
 * says nothing was written; callers that already did something (delivered a message, stopped an
 * agent) put that in front of it.
 */
export function asDiskFull(error: unknown, path: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !NO_SPACE.includes(code)) return error;
  return new AoError(
    'DISK_FULL',
    `Disk full (${code}): could not write ${path}. Free space on that file system ` +
      `(\`df -h ${dirname(path)}\`), then retry.`,
    { cause: error, details: { path, code } },
  );
}

/**
 * What ao writes under the data dir (prompts, messages, CI logs, session records) is for its user
 * only: files 0600, directories 0700. Set at creation, so no umask widens them.
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** `mkdir -p` that creates every missing directory 0700 (existing ones are left as they are). */
export async function mkdirPrivate(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

export function mkdirPrivateSync(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Creates the data dir 0700, or tightens an existing one to 0700 (older versions made it 0755):
 * the root alone keeps other local users out of everything below it, whatever its modes.
 */
export async function ensureDataDir(home: string): Promise<void> {
  await mkdirPrivate(home);
  await chmod(home, PRIVATE_DIR_MODE);
}

export function ensureDataDirSync(home: string): void {
  mkdirPrivateSync(home);
  chmodSync(home, PRIVATE_DIR_MODE);
}

/**
 * Replaces `path` with `data` so that a reader (or a crash) sees either the old file or the new
 * one, never a half-written one: the temp file lives in the same directory (rename is only atomic
 * within one file system), is fsynced before the rename, and the directory is fsynced after it so
 * the rename itself survives a power loss.
 */
export async function writeFileAtomic(path: string, data: string, options: { mode?: number } = {}): Promise<void> {
  const dir = dirname(path);
  const temp = tempPathFor(path);
  // The mode is set at creation and kept by the rename: a reader never sees a wider file.
  const handle = await open(temp, 'wx', options.mode ?? PRIVATE_FILE_MODE).catch((error: unknown) => {
    throw asDiskFull(error, path);
  });
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw asDiskFull(error, path);
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw asDiskFull(error, path);
  }
  await syncDir(dir);
}

/** Leading dot + `.tmp` suffix: listings that look for `*.json` never pick a temp file up. */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * `writeFileAtomic` for a caller that must not yield between a check and the write (e.g. a
 * conditional write that no other write of the same process may overtake). Same guarantees:
 * mode set at creation, fsync before the rename, `DISK_FULL` with no temp file left behind.
 */
export function writeFileAtomicSync(path: string, data: string, options: { mode?: number } = {}): void {
  const dir = dirname(path);
  const temp = tempPathFor(path);
  let fd: number;
  try {
    fd = openSync(temp, 'wx', options.mode ?? PRIVATE_FILE_MODE);
  } catch (error) {
    throw asDiskFull(error, path);
  }
  try {
    try {
      const bytes = Buffer.from(data, 'utf8');
      for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // Already renamed or never written: nothing to remove.
    }
    throw asDiskFull(error, path);
  }
  syncDirSync(dir);
}

/** Writes `value` as a JSON record (2-space indented, one trailing newline) with `writeFileAtomic`. */
export function writeJsonRecord(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Reads the JSON record at `path` as `schema`: `undefined` when there is no such file, and the
 * error `corrupt(reason)` builds (an `AoError` saying what to do with the file) when it is not
 * JSON or not of the schema's shape.
 */
export async function readJsonRecord<T>(
  path: string,
  schema: z.ZodType<T, z.ZodTypeDef, unknown>,
  corrupt: (reason: string) => Error,
): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw corrupt(`invalid JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw corrupt(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  return parsed.data;
}

/**
 * Appends `text` to `path` (creating it) in one write and fsyncs it. When the file does not end in
 * a newline — a writer crashed mid-line — a newline is written first so the torn line stays a
 * single corrupt line instead of swallowing the first of ours. A write that fails (a full disk
 * takes what fits, then refuses the rest) is cut off again: the file keeps its old content.
 */
export async function appendDurable(path: string, text: string): Promise<void> {
  const handle = await open(path, 'a+', PRIVATE_FILE_MODE).catch((error: unknown) => {
    throw asDiskFull(error, path);
  });
  try {
    const { size } = await handle.stat();
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    try {
      await handle.appendFile(prefix + text, 'utf8');
      await handle.sync();
    } catch (error) {
      // Shrinking never needs space, so this works on a full disk too.
      await handle.truncate(size).catch(() => {});
      throw asDiskFull(error, path);
    }
  } finally {
    await handle.close();
  }
}

/** Best effort: some file systems (and Windows) refuse to open or fsync a directory. */
export async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Durability of the rename is then up to the OS; correctness does not depend on it.
  } finally {
    await handle?.close().catch(() => {});
  }
}

function syncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // As in syncDir: durability of the rename is then up to the OS.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** True when `error` is a Node system error with this `code` (ENOENT, EEXIST…). */
export function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return false;
    throw error;
  }
}

/** Exists with at least one byte: an empty events file is a reserved id, not yet a session. */
export async function nonEmpty(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 0;
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return false;
    throw error;
  }
}
