// `ao status` only reads: what it finds (a dead terminal, a deleted workspace) is shown, and
// recorded by those who act on sessions — the lifecycle poll the daemon runs, cleanup, restore.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
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

const sessionsDir = (): string => join(env.home, 'projects', 'app', 'sessions');
/** Every file of the project's session store (snapshots, event logs), name → bytes. */
const storeBytes = (): Record<string, string> =>
  Object.fromEntries(
    readdirSync(sessionsDir())
      .filter((name) => statSync(join(sessionsDir(), name)).isFile())
      .map((name) => [name, readFileSync(join(sessionsDir(), name), 'base64')]),
  );
const eventTypes = (id: string): string[] =>
  readFileSync(join(sessionsDir(), `${id}.events.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { type: string }).type);

async function spawned(): Promise<string> {
  const id = env.ao('spawn', '--prompt', 'hi').stdout.trim();
  await until(() => env.received().length >= 1, 10_000, 'the prompt');
  return id;
}

describe('ao status only reads', () => {
  it('shows a session whose terminal is gone as exited and writes nothing; the lifecycle poll records the exit', async () => {
    const id = await spawned();
    execFileSync('tmux', ['kill-session', '-t', `=${env.tmuxName(id)}`]);
    const before = storeBytes();

    const status = env.ao('status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`${id}\\s+-\\s+working\\s+exited`));
    const json = env.ao('status', '--json');
    expect((JSON.parse(json.stdout) as Array<{ id: string; activity: string }>).find((s) => s.id === id)?.activity).toBe('exited');
    expect(storeBytes()).toEqual(before);
    expect(eventTypes(id)).not.toContain('runtime.exited');

    // The daemon's lifecycle poll (here run once in the foreground) is what records it.
    expect(env.ao('lifecycle', 'poll').code).toBe(0);
    expect(eventTypes(id)).toContain('runtime.exited');
  });

  it('shows a session whose workspace was deleted as errored with the way out, and writes nothing; cleanup records it', async () => {
    const id = await spawned();
    const ws = (JSON.parse(env.ao('status', '--json').stdout) as Array<{ workspacePath: string }>)[0]?.workspacePath as string;
    rmSync(ws, { recursive: true, force: true });
    const before = storeBytes();

    const status = env.ao('status');
    expect(status.stdout).toMatch(new RegExp(`${id}\\s+-\\s+errored`));
    expect(status.stdout).toContain(`workspace ${ws} is missing: \`ao session restore ${id}\``);
    expect(env.ao('status', '--attention').code).toBe(1);
    expect(storeBytes()).toEqual(before);

    expect(env.ao('session', 'cleanup').code).toBe(0);
    expect(eventTypes(id)).toContain('workspace.missing');
  });

  it('restore records the exit that status only showed, before relaunching', async () => {
    const id = await spawned();
    execFileSync('tmux', ['kill-session', '-t', `=${env.tmuxName(id)}`]);
    env.ao('status');
    const restore = env.ao('session', 'restore', id);
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    const types = eventTypes(id);
    expect(types.indexOf('runtime.exited')).toBeGreaterThan(-1);
    expect(types.indexOf('runtime.exited')).toBeLessThan(types.lastIndexOf('session.restored'));
  });
});
