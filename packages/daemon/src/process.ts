import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { AoError, daemonFiles, mkdirPrivateSync, PRIVATE_FILE_MODE, sameProcess, type AoPaths, type DaemonInfo } from '@ao/core';
import { daemonState, removeDaemonInfo, removeStaleDaemonInfo } from './files.js';

/**
 * Starting and stopping the daemon process. Every wait here ends on a signal — daemon.json with a
 * live pid and an answering /health, or the pid gone — checked often, with a deadline only as the
 * give-up point.
 */

const tick = (ms = 50): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The last `lines` lines of the daemon log, for error messages. */
export function logTail(paths: AoPaths, lines = 20): string {
  const file = daemonFiles(paths).log;
  try {
    const text = readFileSync(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(the log is empty)';
  }
}

/** GET /health with the token; true when it answers 200. */
export async function healthy(info: DaemonInfo, token: string, timeoutMs = 1000): Promise<boolean> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetch(new URL('/health', info.url), { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export interface SpawnDaemonOptions {
  paths: AoPaths;
  /** Extra argv after `start --foreground` (e.g. `--no-orchestrator`), and global flags before it. */
  globalArgs: string[];
  startArgs: string[];
  cwd: string;
  timeoutMs?: number;
}

/**
 * Spawns `ao start --foreground` detached, its output appended to `logs/daemon.log`, and resolves
 * once it is up: daemon.json names the child's pid and /health answers with the token. Fails with
 * the log tail when the child exits first or the deadline passes.
 */
export async function spawnDaemon(options: SpawnDaemonOptions): Promise<{ info: DaemonInfo; token: string }> {
  const { paths } = options;
  const files = daemonFiles(paths);
  mkdirPrivateSync(paths.logs);
  const logStart = existsSync(files.log) ? statSync(files.log).size : 0;
  const fd = openSync(files.log, 'a', PRIVATE_FILE_MODE);
  const bin = realpathSync(process.argv[1] ?? '');
  const child = spawn(process.execPath, [bin, ...options.globalArgs, 'start', '--foreground', ...options.startArgs], {
    cwd: options.cwd,
    detached: true,
    stdio: ['ignore', fd, fd],
    env: process.env,
  });
  closeSync(fd);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = signal ? `signal ${signal}` : `exit code ${code ?? '?'}`;
  });
  child.once('error', (error) => {
    exited = error.message;
  });
  child.unref();

  const tailSinceStart = (): string => {
    try {
      const text = readFileSync(files.log).subarray(logStart).toString('utf8').trimEnd();
      return text ? text.split('\n').slice(-20).join('\n') : '(nothing was logged)';
    } catch {
      return '(no log)';
    }
  };
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      throw new AoError('DAEMON_FAILED', `The ao daemon exited during start-up (${exited}). ${files.log}:\n${tailSinceStart()}`);
    }
    const state = daemonState(paths);
    if (state.state === 'running' && state.info.pid === child.pid && existsSync(files.token)) {
      const token = readFileSync(files.token, 'utf8').trim();
      if (await healthy(state.info, token)) return { info: state.info, token };
    }
    await tick();
  }
  // Our own child, not yet reaped (no exit seen): its pid cannot have been reused.
  if (child.pid && exited === undefined) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  throw new AoError('DAEMON_FAILED', `The ao daemon did not come up within ${Math.round((options.timeoutMs ?? 15_000) / 1000)} s. ${files.log}:\n${tailSinceStart()}`);
}

/** Waits until the process `pid` that started at `startTime` is gone; false when `timeoutMs` passes first. */
export async function waitForExit(pid: number, startTime: string | undefined, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!sameProcess(pid, startTime)) return true;
    await tick();
  }
  return !sameProcess(pid, startTime);
}

export type StopResult =
  | { result: 'not-running' }
  | { result: 'stale'; pid: number; message: string }
  | { result: 'stopped' | 'killed'; pid: number };

/** Sends `signal` only while `pid` is still the process that started at `startTime`. */
function signalIfSame(pid: number, startTime: string | undefined, signal: NodeJS.Signals): void {
  if (!sameProcess(pid, startTime)) return;
  try {
    process.kill(pid, signal);
  } catch {
    // exited just now
  }
}

/**
 * SIGTERM, wait for the pid to go (the daemon stops its loop and server, and removes its files),
 * SIGKILL after `graceMs`. Only the daemon process is signalled, and only once proven to be the
 * daemon (its pid started when `daemon.json` says): a record whose pid is gone or now belongs to
 * another process is removed, that process left alone. Sessions, their terminals and workspaces
 * are not the daemon's children to lose.
 */
export async function stopDaemon(paths: AoPaths, graceMs = 10_000): Promise<StopResult> {
  const state = daemonState(paths);
  if (state.state === 'none') return { result: 'not-running' };
  const { pid, startTime } = state.info;
  if (state.state === 'stale') return { result: 'stale', pid, message: removeStaleDaemonInfo(paths, state) };
  signalIfSame(pid, startTime, 'SIGTERM');
  if (await waitForExit(pid, startTime, graceMs)) {
    removeDaemonInfo(paths, pid);
    return { result: 'stopped', pid };
  }
  signalIfSame(pid, startTime, 'SIGKILL');
  await waitForExit(pid, startTime, 5_000);
  removeDaemonInfo(paths, pid);
  return { result: 'killed', pid };
}
