import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendDurable } from '../src/sessions/fs-atomic.js';
import { isAoError, withFileLock, writeFileAtomic, writeFileAtomicSync } from '../src/index.js';

/** Writes zeros to `path` until the file system refuses: from then on nothing new fits. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAoError(error)) throw new Error(`expected an AoError, got ${String(error)}`);
  return error;
}

// A small tmpfs is a real full disk; mounting one needs root, which CI has.
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('writes on a full disk (tmpfs, needs root)', () => {
  let dir: string;
  let mounted = false;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ao-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    mounted = true;
    await writeFile(join(dir, 'log.jsonl'), '{"a":1}\n');
    await writeFile(join(dir, 'snap.json'), '{"old":true}\n');
    fill(join(dir, 'filler'));
  });

  afterAll(async () => {
    if (mounted) execFileSync('umount', ['-l', dir]);
    await rm(dir, { recursive: true, force: true });
  });

  it('appendDurable fails with DISK_FULL naming the file and leaves it as it was (no torn line)', async () => {
    const log = join(dir, 'log.jsonl');
    // Larger than the slack of the file's last page: part of it fits, the rest is refused.
    const error = await failure(appendDurable(log, `${'x'.repeat(64 * 1024)}\n`));
    expect(error.code).toBe('DISK_FULL');
    expect(error.message).toContain(log);
    expect(await readFile(log, 'utf8')).toBe('{"a":1}\n');
  });

  it('writeFileAtomic fails with DISK_FULL, keeps the old file and leaves no temp file', async () => {
    const snap = join(dir, 'snap.json');
    const error = await failure(writeFileAtomic(snap, JSON.stringify({ big: 'y'.repeat(64 * 1024) })));
    expect(error.code).toBe('DISK_FULL');
    expect(error.message).toContain(snap);
    expect(await readFile(snap, 'utf8')).toBe('{"old":true}\n');
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('writeFileAtomicSync fails with DISK_FULL, keeps the old file and leaves no temp file', async () => {
    const snap = join(dir, 'snap.json');
    let error: unknown;
    try {
      writeFileAtomicSync(snap, JSON.stringify({ big: 'z'.repeat(64 * 1024) }));
    } catch (e) {
      error = e;
    }
    if (!isAoError(error)) throw new Error(`expected an AoError, got ${String(error)}`);
    expect(error.code).toBe('DISK_FULL');
    expect(error.message).toContain(snap);
    expect(await readFile(snap, 'utf8')).toBe('{"old":true}\n');
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('withFileLock fails with DISK_FULL naming the lock, runs nothing and leaves no temp file', async () => {
    const lock = join(dir, 'spawn.lock');
    let ran = false;
    const error = await failure(withFileLock(lock, async () => (ran = true), {}));
    expect(error.code).toBe('DISK_FULL');
    expect(error.message).toContain(lock);
    expect(ran).toBe(false);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await expect(stat(lock)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
