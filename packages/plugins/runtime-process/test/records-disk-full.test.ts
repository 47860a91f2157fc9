import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAoError, resolvePaths, type AoPaths } from '@ao/core/plugin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePtyRecordIf, type PtyRecord } from '../src/records.js';

// A small tmpfs is a real full disk; mounting one needs root, which CI has.
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('pty records on a full disk (tmpfs, needs root)', () => {
  let dir: string;
  let paths: AoPaths;
  let mounted = false;
  const record: PtyRecord = {
    id: 'pty-1',
    sessionId: 's-1',
    pid: 4242,
    hostPid: 4241,
    hostId: 'host-a',
    argv: ['agent'],
    cwd: '/tmp',
    startedAt: '2026-01-01T00:00:00.000Z',
  };
  const old = `${JSON.stringify(record, null, 2)}\n`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ao-pty-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    mounted = true;
    paths = resolvePaths({ AO_HOME: dir });
    await mkdir(join(dir, 'pty'), { recursive: true });
    await writeFile(join(dir, 'pty', 'pty-1.json'), old);
    const fd = openSync(join(dir, 'filler'), 'w');
    try {
      for (;;) writeSync(fd, Buffer.alloc(64 * 1024));
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOSPC') throw error;
    } finally {
      closeSync(fd);
    }
  });

  afterAll(async () => {
    if (mounted) execFileSync('umount', ['-l', dir]);
    await rm(dir, { recursive: true, force: true });
  });

  it('writePtyRecordIf fails with DISK_FULL, keeps the old record and leaves no temp file', async () => {
    let error: unknown;
    try {
      writePtyRecordIf(paths, { ...record, exitCode: 0, lastScreen: 'x'.repeat(64 * 1024) }, () => true);
    } catch (e) {
      error = e;
    }
    expect(isAoError(error) && error.code).toBe('DISK_FULL');
    expect(await readFile(join(dir, 'pty', 'pty-1.json'), 'utf8')).toBe(old);
    expect((await readdir(join(dir, 'pty'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
