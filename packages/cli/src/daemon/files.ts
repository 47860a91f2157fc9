import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, openSync, readFileSync, closeSync, writeSync, rmSync } from 'node:fs';
import { daemonFiles, writeFileAtomic, type AoPaths, type DaemonInfo, pidAlive } from '@ao/core';

/**
 * The daemon's files under `$AO_HOME` (their names and format belong to `@ao/core`'s
 * daemon-client, the one reader): the token, `daemon.json`, `daemon.pid`, and liveness checks.
 */

/** The API token: created once (32 random bytes, hex) with mode 0600 and reused across restarts. */
export function ensureToken(paths: AoPaths): string {
  const file = daemonFiles(paths).token;
  mkdirSync(paths.home, { recursive: true });
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

/** Written once the server listens; the signal `ao start` waits for. */
export async function writeDaemonInfo(paths: AoPaths, info: DaemonInfo): Promise<void> {
  const files = daemonFiles(paths);
  mkdirSync(paths.home, { recursive: true });
  await writeFileAtomic(files.pid, `${info.pid}\n`);
  await writeFileAtomic(files.info, `${JSON.stringify(info, null, 2)}\n`);
}

/** What `daemon.json` says, whether or not its pid still lives. */
export function readDaemonInfoFile(paths: AoPaths): DaemonInfo | undefined {
  const files = daemonFiles(paths);
  try {
    return JSON.parse(readFileSync(files.info, 'utf8')) as DaemonInfo;
  } catch {
    // No daemon.json (or a torn one): the pid file may still name a process.
    try {
      const pid = Number.parseInt(readFileSync(files.pid, 'utf8'), 10);
      return Number.isInteger(pid) && pid > 0 ? { pid, host: '', port: 0, url: '', startedAt: '', version: '' } : undefined;
    } catch {
      return undefined;
    }
  }
}

/** Removes `daemon.json` and `daemon.pid`, only when they name `pid` (a newer daemon's files stay). */
export function removeDaemonInfo(paths: AoPaths, pid?: number): void {
  const files = daemonFiles(paths);
  if (pid !== undefined) {
    const current = readDaemonInfoFile(paths);
    if (current && current.pid !== pid) return;
  }
  rmSync(files.info, { force: true });
  rmSync(files.pid, { force: true });
}


/** The running daemon per its files: `running` with its info, `stale` (files of a dead pid), or `none`. */
export function daemonState(paths: AoPaths): { state: 'running' | 'stale'; info: DaemonInfo } | { state: 'none' } {
  const info = readDaemonInfoFile(paths);
  if (!info) return { state: 'none' };
  return { state: pidAlive(info.pid) ? 'running' : 'stale', info };
}

export { pidAlive };
