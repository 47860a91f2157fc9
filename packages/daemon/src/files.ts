import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, openSync, readFileSync, closeSync, writeSync, rmSync } from 'node:fs';
import { daemonFiles, ensureDataDirSync, inspectDaemonRecord, mkdirPrivateSync, readDaemonRecord, writeFileAtomic, writeJsonRecord, type AoPaths, type DaemonInfo } from '@ao/core';

/**
 * The daemon's files under `$AO_HOME` (their names and format belong to `@ao/core`'s
 * daemon-client, the one reader): the token, `daemon.json`, `daemon.pid`.
 */

/** The API token: created once (32 random bytes, hex) with mode 0600 and reused across restarts. */
export function ensureToken(paths: AoPaths): string {
  const file = daemonFiles(paths).token;
  ensureDataDirSync(paths.home);
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(token)) {
      chmodSync(file, 0o600); // someone loosened it: a token others can read is no token
      return token;
    }
  }
  const token = randomBytes(32).toString('hex');
  // 'w' with mode 0o600 only applies the mode on creation; chmod covers a pre-existing file.
  const fd = openSync(file, 'w', 0o600);
  try {
    writeSync(fd, `${token}\n`);
  } finally {
    closeSync(fd);
  }
  chmodSync(file, 0o600);
  return token;
}

/**
 * Written once the server listens; the signal `ao start` waits for. `daemon.json` first: a
 * `daemon.pid` alone proves nothing (it carries no start time), so it must never be the newer file.
 */
export async function writeDaemonInfo(paths: AoPaths, info: DaemonInfo): Promise<void> {
  const files = daemonFiles(paths);
  mkdirPrivateSync(paths.home);
  await writeJsonRecord(files.info, info);
  await writeFileAtomic(files.pid, `${info.pid}\n`);
}

/** Removes `daemon.json` and `daemon.pid`, only when they name `pid` (a newer daemon's files stay). */
export function removeDaemonInfo(paths: AoPaths, pid?: number): void {
  const files = daemonFiles(paths);
  if (pid !== undefined) {
    const current = readDaemonRecord(paths);
    if (current && current.pid !== pid) return;
  }
  rmSync(files.info, { force: true });
  rmSync(files.pid, { force: true });
}

/**
 * The daemon per its files, proven (see `inspectDaemonRecord` in @ao/core): `running`, `stale`
 * (files of a dead pid, or of a pid that is not provably the daemon) with the reason, or `none`.
 */
export const daemonState = inspectDaemonRecord;

/** Removes a stale record, and says so in one line (to stderr: stdout may be someone's JSON). */
export function removeStaleDaemonInfo(paths: AoPaths, stale: { info: DaemonInfo; reason: string }): string {
  removeDaemonInfo(paths, stale.info.pid);
  return `removed stale daemon files (${stale.reason})`;
}
