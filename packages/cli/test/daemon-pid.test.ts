import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSessionEnv, until, type SessionEnv } from './session-env.js';

/**
 * A pid in `daemon.pid` / `daemon.json` is never believed or signalled before it is proven to be
 * the daemon: after a kill -9 the pid can belong to any other process of the same user.
 */

let env: SessionEnv;
let stranger: ChildProcess | undefined;
let strangerExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

beforeEach(async () => {
  env = await createSessionEnv();
  env.writeConfig('dashboard:\n  port: 0\n');
  stranger = undefined;
  strangerExit = undefined;
});
afterEach(async () => {
  if (stranger?.pid !== undefined && strangerExit === undefined) stranger.kill('SIGKILL');
  env.ao('stop', '--force');
  await env.cleanup();
});

const infoFile = (): string => join(env.home, 'daemon.json');
const pidFile = (): string => join(env.home, 'daemon.pid');
const readInfo = (): { pid: number; url: string } & Record<string, unknown> => JSON.parse(readFileSync(infoFile(), 'utf8')) as { pid: number; url: string };

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
};

/** The reproduction: the daemon is killed -9, and its pid files now name a `sleep`. */
async function daemonReplacedByStranger(): Promise<{ daemonPid: number; strangerPid: number }> {
  const started = env.ao('start', '--no-orchestrator');
  expect(started.code, started.stderr).toBe(0);
  const record = readInfo();
  process.kill(record.pid, 'SIGKILL');
  await until(() => !alive(record.pid), 10_000, 'the daemon to die');
  stranger = spawn('sleep', ['10000'], { stdio: 'ignore' });
  stranger.once('exit', (code, signal) => (strangerExit = { code, signal }));
  const strangerPid = stranger.pid as number;
  expect(alive(strangerPid)).toBe(true);
  writeFileSync(pidFile(), `${strangerPid}\n`);
  writeFileSync(infoFile(), `${JSON.stringify({ ...record, pid: strangerPid }, null, 2)}\n`);
  return { daemonPid: record.pid, strangerPid };
}

describe('a daemon pid reused by a stranger', () => {
  it('`ao stop` does not signal the stranger, and removes the stale record with one line', async () => {
    const { strangerPid } = await daemonReplacedByStranger();
    const r = env.ao('stop');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('not running');
    expect(r.stdout).toContain(`pid ${strangerPid}`);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(existsSync(infoFile())).toBe(false);
    expect(existsSync(pidFile())).toBe(false);
    // The sleep is untouched: still running, no signal delivered.
    expect(strangerExit).toBeUndefined();
    expect(alive(strangerPid)).toBe(true);
  });

  it('`ao start` does not believe the record: it removes it, says so, and starts a daemon', async () => {
    const { strangerPid } = await daemonReplacedByStranger();
    const r = env.ao('start', '--no-orchestrator');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('already running');
    expect(r.stdout).toContain('ao daemon started');
    expect(r.stderr).toContain(`stale daemon files (pid ${strangerPid}`);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const now = readInfo();
    expect(now.pid).not.toBe(strangerPid);
    expect(alive(now.pid)).toBe(true);
    expect(strangerExit).toBeUndefined();

    // And the new daemon is the one `ao stop` stops; the stranger lives on.
    const stop = env.ao('stop');
    expect(stop.stdout).toContain(`stopped (pid ${now.pid})`);
    expect(alive(now.pid)).toBe(false);
    expect(alive(strangerPid)).toBe(true);
  });

  it('`ao daemon status` and the daemon client (`ao dashboard`) do not take the stranger for the daemon', async () => {
    const { strangerPid } = await daemonReplacedByStranger();
    const dashboard = env.ao('dashboard');
    expect(dashboard.code).toBe(1);
    expect(dashboard.stderr).toContain('not running');

    const status = env.ao('daemon', 'status', '--json');
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout)).toEqual({ running: false, stalePid: strangerPid });
    expect(status.stderr).toContain(`removed stale daemon files (pid ${strangerPid}`);
    expect(existsSync(infoFile())).toBe(false);
    expect(alive(strangerPid)).toBe(true);
  });

  it('a live daemon is still recognised, and a record without proof of identity is not signalled', async () => {
    expect(env.ao('start', '--no-orchestrator').code).toBe(0);
    const record = readInfo();
    expect(env.ao('daemon', 'status').stdout).toContain(`pid ${record.pid}`);
    expect(env.ao('start', '--no-orchestrator').stdout).toContain('already running');

    // A pid file alone (no daemon.json) proves nothing: the stranger behind it is left alone.
    expect(env.ao('stop').stdout).toContain(`stopped (pid ${record.pid})`);
    stranger = spawn('sleep', ['10000'], { stdio: 'ignore' });
    stranger.once('exit', (code, signal) => (strangerExit = { code, signal }));
    writeFileSync(pidFile(), `${stranger.pid}\n`);
    const r = env.ao('stop');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`pid ${stranger.pid}`);
    expect(existsSync(pidFile())).toBe(false);
    expect(strangerExit).toBeUndefined();
    expect(alive(stranger.pid as number)).toBe(true);
  });
});
