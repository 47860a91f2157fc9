import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AoPaths } from './contracts/plugin.js';
import { AoError, ErrorCodes, type ErrorCode } from './errors.js';
import { pidAlive, sameProcess } from './process.js';

/**
 * How any ao process finds the running daemon: `$AO_HOME/daemon.json` (written by the daemon once
 * it listens) and `$AO_HOME/daemon.token` (0600, required on every request). One client for the
 * CLI, the process runtime and tests.
 */
export interface DaemonInfo {
  pid: number;
  host: string;
  port: number;
  /** Base URL of the API, e.g. `http://127.0.0.1:3939`. */
  url: string;
  startedAt: string;
  version: string;
  /**
   * `processStartTime(pid)` as the daemon saw it for itself: what proves, later, that `pid` is
   * still that daemon and not another process that got the same pid after a crash or a reboot.
   * A record without it proves nothing and is treated as stale.
   */
  startTime?: string;
}

export const daemonFiles = (paths: AoPaths) => ({
  info: join(paths.home, 'daemon.json'),
  token: join(paths.home, 'daemon.token'),
  pid: join(paths.home, 'daemon.pid'),
  log: join(paths.logs, 'daemon.log'),
});

/** What the daemon's files say, `daemon.json` (or, without it, `daemon.pid`), proven or not. */
export function readDaemonRecord(paths: AoPaths): DaemonInfo | undefined {
  const files = daemonFiles(paths);
  try {
    const info = JSON.parse(readFileSync(files.info, 'utf8')) as DaemonInfo;
    if (info && typeof info === 'object' && Number.isInteger(info.pid)) return info;
  } catch {
    // No daemon.json (or a torn one): the pid file may still name a process.
  }
  try {
    const pid = Number.parseInt(readFileSync(files.pid, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? { pid, host: '', port: 0, url: '', startedAt: '', version: '' } : undefined;
  } catch {
    return undefined;
  }
}

export type DaemonRecordState =
  | { state: 'none' }
  | { state: 'running'; info: DaemonInfo }
  /** Files naming a pid that is not (or not provably) the daemon; `reason` says which, for one line. */
  | { state: 'stale'; info: DaemonInfo; reason: string };

/**
 * The daemon per its files, believed only when proven: its pid lives *and* started when the
 * record says (`startTime`). A pid that is gone, now belongs to another process, or comes with
 * no start time is `stale`: never signal it, never send it the token.
 */
export function inspectDaemonRecord(paths: AoPaths): DaemonRecordState {
  const info = readDaemonRecord(paths);
  if (!info) return { state: 'none' };
  if (!pidAlive(info.pid)) return { state: 'stale', info, reason: `pid ${info.pid} is not running` };
  if (!info.startTime) return { state: 'stale', info, reason: `pid ${info.pid} is not proven to be the ao daemon: the record has no start time` };
  if (!sameProcess(info.pid, info.startTime)) return { state: 'stale', info, reason: `pid ${info.pid} now belongs to another process` };
  return { state: 'running', info };
}

/** The running daemon, or undefined when none is proven to run (see `inspectDaemonRecord`). */
export function readDaemonInfo(paths: AoPaths): (DaemonInfo & { token: string }) | undefined {
  const state = inspectDaemonRecord(paths);
  if (state.state !== 'running') return undefined;
  try {
    return { ...state.info, token: readFileSync(daemonFiles(paths).token, 'utf8').trim() };
  } catch {
    return undefined;
  }
}

export interface DaemonRequestOptions {
  method?: string;
  body?: unknown;
  timeoutMs?: number;
}

/**
 * An error response of the daemon (`{ error: { code, message } }`, see http-router.ts) as the
 * `AoError` it was on the daemon's side: same code, same message, the status in `details`. A code
 * that is not an `ErrorCode` (`UNAUTHORIZED`, `NOT_FOUND` of a route…) or a body that is not that
 * shape is `DAEMON_FAILED`, naming the code.
 */
export function remoteError(status: number, text: string, path: string): AoError {
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  } catch {
    error = undefined;
  }
  const code = typeof error?.code === 'string' ? error.code : undefined;
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
  const details = { status, path, ...(code ? { code } : {}) };
  if (code && Object.hasOwn(ErrorCodes, code)) return new AoError(code as ErrorCode, message, { details });
  return new AoError('DAEMON_FAILED', `ao daemon: ${message}${code ? ` (${code})` : ''}`, { details });
}

/**
 * Calls the daemon's API with its token. Throws `DAEMON_UNAVAILABLE` when no daemon runs (the
 * message says `ao start`); an error answer is thrown as the daemon's `AoError` (`remoteError`).
 */
export async function daemonRequest<T = unknown>(paths: AoPaths, path: string, options: DaemonRequestOptions = {}): Promise<T> {
  const info = readDaemonInfo(paths);
  if (!info) throw new AoError('DAEMON_UNAVAILABLE', `The ao daemon is not running (data dir ${paths.home}): start it with \`ao start\``);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 10_000);
  try {
    // The daemon refuses a mutation without `Content-Type: application/json` (cross-site guard):
    // send it, with `{}` when there is no body, on anything but GET/HEAD.
    const method = (options.method ?? (options.body === undefined ? 'GET' : 'POST')).toUpperCase();
    const withBody = method !== 'GET' && method !== 'HEAD';
    const res = await fetch(new URL(path, info.url), {
      method,
      headers: { authorization: `Bearer ${info.token}`, ...(withBody ? { 'content-type': 'application/json' } : {}) },
      ...(withBody ? { body: JSON.stringify(options.body ?? {}) } : {}),
      signal: controller.signal,
    });
    const text = await res.text();
    if (!res.ok) throw remoteError(res.status, text, path);
    return (text ? JSON.parse(text) : undefined) as T;
  } catch (error) {
    if (error instanceof AoError) throw error;
    throw new AoError('DAEMON_UNAVAILABLE', `Could not reach the ao daemon at ${info.url}: ${(error as Error).message} (check \`ao daemon status\`)`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
