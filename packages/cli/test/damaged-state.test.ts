import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSessionEnv, until, type SessionEnv } from './session-env.js';

let env: SessionEnv;
beforeEach(async () => {
  env = await createSessionEnv();
});
afterEach(async () => {
  await env.cleanup();
});

const git = (cwd: string, ...args: string[]): string => execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8' }).trim();
const tmuxAlive = (name: string): boolean => {
  try {
    execFileSync('tmux', ['has-session', '-t', `=${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const sessions = () => JSON.parse(env.ao('session', 'ls', '--json').stdout) as Array<Record<string, unknown>>;
const filesOf = (id: string) => {
  const dir = join(env.home, 'projects', 'app', 'sessions');
  return { snapshot: join(dir, `${id}.json`), log: join(dir, `${id}.events.jsonl`) };
};

describe('a damaged session record', () => {
  it('a garbage snapshot next to an intact event log is rebuilt from the log, and status says so by path', () => {
    const id = env.ao('spawn', '--prompt', 'hi').stdout.trim();
    const { snapshot, log } = filesOf(id);
    writeFileSync(snapshot, '\u0000\u0017garbage{');
    const r = env.ao('status');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`rebuilt ${snapshot} from its event log ${log}`);
    expect(r.stdout).toMatch(new RegExp(`${id}\\s+-\\s+working`));
    expect(JSON.parse(readFileSync(snapshot, 'utf8'))).toMatchObject({ id, status: 'working' });
    expect(env.ao('status').stderr).toBe(''); // repaired once, reported once
  });

  it('an agent whose record is gone (no snapshot, empty log) is reported as an orphan by status and doctor, with how to end it', () => {
    const id = env.ao('spawn', '--prompt', 'hi').stdout.trim();
    const name = env.tmuxName(id);
    const { snapshot, log } = filesOf(id);
    rmSync(snapshot);
    writeFileSync(log, '');
    expect(tmuxAlive(name)).toBe(true);

    const status = env.ao('status');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`orphan terminal ${name} (session ${id}, agent running) has no ao record`);
    expect(status.stdout).toContain(`tmux kill-session -t ${name}`);

    // --json keeps stdout an array of sessions; the orphan goes to stderr.
    const json = env.ao('status', '--json');
    expect(JSON.parse(json.stdout)).toEqual([]);
    expect(json.stderr).toContain(`orphan terminal ${name}`);

    const doctor = env.ao('doctor');
    expect(doctor.stdout).toContain(`orphan terminal ${name}`);
    expect(doctor.stdout).toContain(`tmux attach -t ${name}`);

    execFileSync('tmux', ['kill-session', '-t', `=${name}`]);
    expect(env.ao('status').stdout).not.toContain('orphan');
  });

  it('a live session is never reported as an orphan', () => {
    env.ao('spawn', '--prompt', 'hi');
    expect(env.ao('status').stdout).not.toContain('orphan');
    expect(env.ao('doctor').stdout).toContain('no orphan terminals');
  });
});

describe('a workspace deleted behind ao', () => {
  it('makes the session errored with the way out; cleanup keeps it; restore recreates it from the branch', async () => {
    const id = env.ao('spawn', '--prompt', 'hi').stdout.trim();
    await until(() => env.received().length >= 1, 10_000, 'the prompt');
    const ws = String(sessions()[0]?.workspacePath);
    writeFileSync(join(ws, 'feature.txt'), 'committed work\n');
    git(ws, 'add', '.');
    git(ws, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'feature');
    rmSync(ws, { recursive: true, force: true });

    const status = env.ao('status');
    expect(status.stdout).toMatch(new RegExp(`${id}\\s+-\\s+errored`));
    expect(status.stdout).toContain(`! ${id}  ao cannot go on: workspace ${ws} is missing: \`ao session restore ${id}\` recreates it from branch ao/${id}`);
    expect(sessions()[0]).toMatchObject({ status: 'errored' });

    const cleanup = env.ao('session', 'cleanup');
    expect(cleanup.stdout).toContain(`kept ${id}: its workspace ${ws} is missing while its agent still runs`);
    expect(cleanup.stdout).not.toContain('still working');

    const restore = env.ao('session', 'restore', id);
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    expect(restore.stdout).toContain(`recreated from that branch at ${ws}`);
    expect(readFileSync(join(ws, 'feature.txt'), 'utf8')).toBe('committed work\n');
    expect(git(ws, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe(`ao/${id}`);
    expect(tmuxAlive(env.tmuxName(id))).toBe(true);
    expect(sessions()[0]).toMatchObject({ status: 'working' });
  });

  it('restore says so when the branch is gone too, and nothing is started', () => {
    const id = env.ao('spawn', '--prompt', 'hi').stdout.trim();
    const ws = String(sessions()[0]?.workspacePath);
    expect(env.ao('session', 'kill', id).code).toBe(0);
    rmSync(ws, { recursive: true, force: true });
    git(env.repo, 'worktree', 'prune');
    git(env.repo, 'branch', '-D', `ao/${id}`);
    const r = env.ao('session', 'restore', id);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`its branch ao/${id} no longer exists`);
    expect(existsSync(ws)).toBe(false);
    expect(tmuxAlive(env.tmuxName(id))).toBe(false);
  });
});
