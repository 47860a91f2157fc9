import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionEnv, until, type SessionEnv } from './session-env.js';

const tmuxAlive = (name: string): boolean => {
  try {
    execFileSync('tmux', ['has-session', '-t', `=${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Every file under `dir` whose name marks a temp file a failed write left behind. */
function leftovers(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => /\.tmp$|\.doctor-/.test(name));
}

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

type Event = { type: string; set?: Record<string, unknown> };

// A small tmpfs as the data dir is the real full disk; mounting one needs root, which CI has.
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('a full data dir (tmpfs, needs root)', () => {
  let env: SessionEnv;
  let mounted = false;
  let id: string;
  const events = (): Event[] =>
    env
      .ao('session', 'events', id, '--json')
      .stdout.trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Event);

  beforeAll(async () => {
    env = await createSessionEnv();
    mkdirSync(env.home, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', env.home]);
    mounted = true;
    id = env.ao('spawn', '--prompt', 'hi').stdout.trim();
    await until(() => env.received().length >= 1, 10_000, 'the prompt');
    fill(join(env.home, 'filler'));
  });

  afterAll(async () => {
    if (!env) return;
    // The agents run inside the mount: end them before unmounting (lazily, should one linger).
    for (const n of [env.tmuxName('app-1'), env.tmuxName('app-2')]) {
      if (tmuxAlive(n)) execFileSync('tmux', ['kill-session', '-t', `=${n}`]);
    }
    if (mounted) execFileSync('umount', ['-l', env.home]);
    await env.cleanup();
  });

  it('send records its intent first: on a full disk it delivers nothing and says so, naming the file', () => {
    const r = env.ao('send', id, 'hello');
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('unexpected error');
    expect(r.stderr).toContain(`The message was NOT delivered to ${id}`);
    expect(r.stderr).toMatch(new RegExp(`Disk full \\(ENOSPC\\): could not write ${env.home}/\\S+`));
    // The sender has exited: nothing can paste the message later.
    expect(env.received()).not.toContain('hello');
  });

  it('kill refuses before stopping anything: the agent keeps running and the record still says working', () => {
    const r = env.ao('session', 'kill', id);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Session ${id} was NOT killed`);
    expect(r.stderr).toMatch(new RegExp(`could not write ${env.home}/\\S+`));
    expect(tmuxAlive(env.tmuxName(id))).toBe(true);
    const [s] = JSON.parse(env.ao('session', 'ls', '--json').stdout) as Array<{ status: string; activity: string }>;
    expect(s).toMatchObject({ status: 'working' });
  });

  it('spawn and doctor say the disk is full, and no failed write leaves a temp file behind', () => {
    const spawn = env.ao('spawn', '--prompt', 'more');
    expect(spawn.code).toBe(1);
    expect(spawn.stderr).toMatch(/Disk full \(ENOSPC\): could not write \S+spawn\.lock/);
    const doctor = env.ao('doctor');
    expect(doctor.stdout).toMatch(/data dir\s+\S+ is full \(ENOSPC\)/);
    expect(leftovers(env.home)).toEqual([]);
  });

  it('once there is space, a retried send arrives once and kill works and records one kill', async () => {
    rmSync(join(env.home, 'filler'));
    expect(env.ao('send', id, 'hello').code).toBe(0);
    await until(() => env.received().includes('hello'), 10_000, 'the message');
    expect(env.received().filter((t) => t === 'hello')).toHaveLength(1);
    const r = env.ao('session', 'kill', id);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(tmuxAlive(env.tmuxName(id))).toBe(false);
    const [s] = JSON.parse(env.ao('session', 'ls', '--json').stdout) as Array<{ status: string }>;
    expect(s).toMatchObject({ status: 'killed' });
    expect(events().filter((e) => e.type === 'session.killed')).toHaveLength(1);
  });
});

describe('a kill cut short between stopping the agent and recording it', () => {
  let env: SessionEnv;
  beforeAll(async () => {
    env = await createSessionEnv();
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('is finished by the next listing: the session reads killed, not working', () => {
    const id = env.ao('spawn', '--prompt', 'hi').stdout.trim();
    // What a crash (or a full disk) right after the stop leaves: the intent logged, the agent gone.
    const dir = join(env.home, 'projects', 'app', 'sessions');
    appendFileSync(join(dir, `${id}.events.jsonl`), `${JSON.stringify({ ts: new Date().toISOString(), type: 'session.killing', data: { from: 'working' } })}\n`);
    rmSync(join(dir, `${id}.json`)); // rebuilt from the log, with the intent as its last event
    execFileSync('tmux', ['kill-session', '-t', `=${env.tmuxName(id)}`]);
    const [s] = JSON.parse(env.ao('session', 'ls', '--json').stdout) as Array<{ status: string; activity: string }>;
    expect(s).toMatchObject({ status: 'killed', activity: 'exited' });
  });
});
