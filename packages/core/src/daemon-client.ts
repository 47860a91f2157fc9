import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AoPaths } from './contracts/plugin.js';
import { AoError } from './errors.js';
import { pidAlive } from './process.js';

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
}

export const daemonFiles = (paths: AoPaths) => ({
  info: join(paths.home, 'daemon.json'),
  token: join(paths.home, 'daemon.token'),
  pid: join(paths.home, 'daemon.pid'),
  log: join(paths.logs, 'daemon.log'),
});

/** The running daemon, or undefined when none is (a stale file whose pid is dead counts as none). */
export function readDaemonInfo(paths: AoPaths): (DaemonInfo & { token: string }) | undefined {
  const files = daemonFiles(paths);
  if (!existsSync(files.info) || !existsSync(files.token)) return undefined;
  try {
    const info = JSON.parse(readFileSync(files.info, 'utf8')) as DaemonInfo;
    if (!pidAlive(info.pid)) return undefined;
    return { ...info, token: readFileSync(files.token, 'utf8').trim() };
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
 * Calls the daemon's API with its token. Throws `DAEMON_UNAVAILABLE` when no daemon runs (the
 * message says `ao start`), and `DAEMON_FAILED` with the daemon's error message on a non-2xx.
 */
export async function daemonRequest<T = unknown>(paths: AoPaths, path: string, options: DaemonRequestOptions = {}): Promise<T> {
  const info = readDaemonInfo(paths);
  if (!info) throw new AoError('DAEMON_UNAVAILABLE', `The ao daemon is not running (data dir ${paths.home}): start it with \`ao start\``);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 10_000);
  try {
    const res = await fetch(new URL(path, info.url), {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${info.token}`, ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: controller.signal,
    });
    const text = await res.text();
    const data: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      const message = (data as { error?: { message?: string } } | undefined)?.error?.message ?? `HTTP ${res.status}`;
      throw new AoError('DAEMON_FAILED', `ao daemon: ${message}`, { details: { status: res.status, path } });
    }
    return data as T;
  } catch (error) {
    if (error instanceof AoError) throw error;
    throw new AoError('DAEMON_UNAVAILABLE', `Could not reach the ao daemon at ${info.url}: ${(error as Error).message} (check \`ao daemon status\`)`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
