import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSessionEnv, until, type SessionEnv } from './session-env.js';

let env: SessionEnv;
beforeEach(async () => {
  env = await createSessionEnv();
});
afterEach(async () => {
  try {
    env.ao('stop', '--force');
  } finally {
    // A daemon `ao stop` could not stop (the CLI itself failed) must not outlive the test.
    const info = join(env.home, 'daemon.json');
    if (existsSync(info)) {
      try {
        process.kill((JSON.parse(readFileSync(info, 'utf8')) as { pid: number }).pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await env.cleanup();
  }
});

interface Listed {
  id: string;
  status: string;
  priority?: number;
}
const sessions = (): Listed[] => JSON.parse(env.ao('session', 'ls', '--json').stdout) as Listed[];
const statusOf = (id: string): string | undefined => sessions().find((s) => s.id === id)?.status;
const queued = (): { id: string; priority: number; position: number; issue: string | null; waiting?: string }[] => JSON.parse(env.ao('queue', 'ls', '--json').stdout);
const spawn = (prompt: string, ...flags: string[]): string => {
  const r = env.ao('spawn', '--prompt', prompt, ...flags);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
};
const poll = (): string => {
  const r = env.ao('lifecycle', 'poll');
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r.stdout;
};

describe('ao spawn beyond limits.maxConcurrentSessions queues', () => {
  it('with a limit of 1, queued work starts by priority, first come first served within a priority', async () => {
    env.writeConfig('limits:\n  maxConcurrentSessions: 1\n');
    const first = spawn('first task');
    expect(statusOf(first)).toBe('working');

    const r = env.ao('spawn', '--prompt', 'low task', '--priority', '2');
    expect(r.code).toBe(0);
    const low = r.stdout.trim();
    expect(r.stderr).toContain(`${low} is queued (priority 2): 1 session is already running and limits.maxConcurrentSessions is 1`);
    expect(r.stderr).toContain('The ao daemon admits queued work when a slot frees, and it is not running: start it with `ao start`.');
    const highA = spawn('high task A', '--priority', '9');
    const highB = spawn('high task B', '--priority', '9');
    const mid = spawn('mid task');
    // Nothing was created for queued work: no worktree, no agent.
    for (const id of [low, highA, highB, mid]) expect(statusOf(id)).toBe('queued');
    expect(env.received()).toEqual([expect.stringContaining('first task')]);

    expect(queued().map((e) => [e.id, e.priority])).toEqual([
      [highA, 9],
      [highB, 9],
      [mid, 5],
      [low, 2],
    ]);
    expect(queued()[0]?.waiting).toContain('limits.maxConcurrentSessions is 1');

    // A tick with no free slot admits nothing.
    poll();
    expect(queued()).toHaveLength(4);

    const started: string[] = [];
    let running = first;
    for (let i = 0; i < 4; i++) {
      expect(env.ao('session', 'kill', running).code).toBe(0);
      const out = poll();
      const now = sessions().filter((s) => s.status === 'working');
      expect(now).toHaveLength(1);
      running = now[0]!.id;
      expect(out).toContain(`${running} started from the queue`);
      started.push(running);
    }
    expect(started).toEqual([highA, highB, mid, low]);
    expect(queued()).toEqual([]);
    // Each agent got the prompt it was queued with.
    await until(() => env.received().length === 5, 10_000, 'five prompts');
    expect(env.received().map((t) => t.match(/(first|high|mid|low) task( [AB])?/)?.[0])).toEqual(['first task', 'high task A', 'high task B', 'mid task', 'low task']);
  }, 120_000);

  it('--no-queue refuses as before; queue.maxSize gives QUEUE_FULL; queue rm and queue move', () => {
    env.writeConfig('limits:\n  maxConcurrentSessions: 1\nqueue:\n  maxSize: 2\n');
    spawn('running');
    const refused = env.ao('spawn', '--prompt', 'no queue', '--no-queue');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/1 session is already running and limits\.maxConcurrentSessions is 1 \(.*\): wait for one to finish/);
    expect(sessions()).toHaveLength(1);

    const a = spawn('a');
    const b = spawn('b');
    const full = env.ao('spawn', '--prompt', 'c');
    expect(full.code).toBe(1);
    expect(full.stderr).toContain('2 sessions are already queued and queue.maxSize is 2');
    expect(full.stderr).toContain('ao queue rm <id>');
    expect(sessions()).toHaveLength(3);

    expect(env.ao('spawn', '--prompt', 'x', '--priority', '11').code).toBe(2);

    const moved = env.ao('queue', 'move', b, '--priority', '8');
    expect(moved.stdout).toContain(`${b} now has priority 8 (position 1 in the queue)`);
    expect(queued().map((e) => e.id)).toEqual([b, a]);

    expect(env.ao('queue', 'rm', a).code).toBe(0);
    expect(queued().map((e) => e.id)).toEqual([b]);
    expect(sessions().map((s) => s.id)).not.toContain(a);
    const notQueued = env.ao('queue', 'rm', sessions()[0]!.id);
    expect(notQueued.code).toBe(1);
    expect(notQueued.stderr).toContain('is not queued (it is working)');
  }, 60_000);

  it('batch-spawn starts what fits and queues the rest', () => {
    for (const t of ['one', 'two', 'three']) env.ao('issue', 'new', t);
    env.writeConfig('limits:\n  maxConcurrentSessions: 2\n');
    const r = env.ao('batch-spawn', '1', '2', '3', '--priority', '7');
    expect(r.code).toBe(0);
    // The issues enter the queue in the order given, so the first ones are the ones that start.
    expect(r.stdout).toMatch(/✓ 1 → app-\d/);
    expect(r.stdout).toMatch(/✓ 2 → app-\d/);
    expect(r.stdout).toMatch(/… 3 → app-\d queued \(priority 7\)/);
    expect(r.stderr).toContain('start it with `ao start`');
    expect(sessions().map((s) => s.status).sort()).toEqual(['queued', 'working', 'working']);
    expect(queued().map((e) => e.priority)).toEqual([7]);
  }, 60_000);

  it('batch-spawn goes through the queue: a free slot goes to queued work of a higher priority first', () => {
    for (const t of ['one', 'two']) env.ao('issue', 'new', t);
    env.writeConfig('limits:\n  maxConcurrentSessions: 1\n');
    const first = spawn('first task');
    const urgent = spawn('urgent task', '--priority', '9');
    expect(statusOf(urgent)).toBe('queued');
    // The slot frees; no daemon runs, so nothing admitted the urgent session yet.
    expect(env.ao('session', 'kill', first).code).toBe(0);
    const r = env.ao('batch-spawn', '1', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`✓ ${urgent} started from the queue`);
    expect(r.stdout).toMatch(/… 1 → app-\d+ queued \(priority 5\)/);
    expect(r.stdout).toMatch(/… 2 → app-\d+ queued \(priority 5\)/);
    expect(statusOf(urgent)).toBe('working');
    expect(queued().map((e) => e.issue)).toEqual(['1', '2']);
  }, 60_000);

  it('ao session restore beyond the limit queues (--no-queue refuses as before); admission restores it in its own workspace', async () => {
    env.writeConfig('limits:\n  maxConcurrentSessions: 1\n');
    const a = spawn('first task');
    const workspace = (JSON.parse(env.ao('session', 'ls', '--json').stdout) as { id: string; workspacePath: string }[]).find((s) => s.id === a)!.workspacePath;
    expect(env.ao('session', 'kill', a).code).toBe(0);
    const b = spawn('second task');
    expect(statusOf(b)).toBe('working');

    const refused = env.ao('session', 'restore', a, '--no-queue');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/1 session is already running and limits\.maxConcurrentSessions is 1/);
    expect(statusOf(a)).toBe('killed');

    const r = env.ao('session', 'restore', a, '--priority', '8');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${a} is queued for restore (priority 8): 1 session is already running and limits.maxConcurrentSessions is 1`);
    expect(r.stderr).toContain('The ao daemon admits queued work when a slot frees');
    expect(statusOf(a)).toBe('queued');
    expect(queued()).toEqual([expect.objectContaining({ id: a, priority: 8 })]);
    // Out of the queue, a restore goes back to how the session was: it and its workspace stay.
    expect(env.ao('queue', 'rm', a).code).toBe(0);
    expect(statusOf(a)).toBe('killed');
    expect(existsSync(workspace)).toBe(true);
    expect(env.ao('session', 'restore', a).stdout).toContain(`${a} is queued for restore (priority 5)`);

    // A slot frees: admission restores it, in the same workspace, and no new session appears.
    expect(env.ao('session', 'kill', b).code).toBe(0);
    poll();
    await until(() => statusOf(a) === 'working', 20_000, 'the restore to be admitted');
    const restored = (JSON.parse(env.ao('session', 'ls', '--json').stdout) as { id: string; workspacePath: string }[]).find((s) => s.id === a)!;
    expect(restored.workspacePath).toBe(workspace);
    expect(sessions().map((s) => s.id).sort()).toEqual([a, b].sort());
    const events = env.ao('session', 'events', a, '--json').stdout.trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type);
    expect(events).toEqual(expect.arrayContaining(['session.queued', 'queue.admitted', 'session.restored']));
  }, 60_000);

  it('the API spawn takes a priority; beyond the limit the session is queued with it', async () => {
    env.writeConfig('limits:\n  maxConcurrentSessions: 1\ndashboard:\n  port: 0\n');
    spawn('running');
    expect(env.ao('start', '--no-orchestrator').code).toBe(0);
    const info = JSON.parse(readFileSync(join(env.home, 'daemon.json'), 'utf8')) as { url: string };
    const token = readFileSync(join(env.home, 'daemon.token'), 'utf8').trim();
    const post = (body: unknown) =>
      fetch(new URL('/api/sessions', info.url), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const bad = await post({ prompt: 'x', priority: 11 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toBe('Invalid request body: priority: must be an integer from 1 (lowest) to 10 (highest)');
    const res = await post({ prompt: 'urgent', priority: 9 });
    expect(res.status).toBe(201);
    const session = (await res.json()) as { id: string; status: string; priority?: number };
    expect(session).toMatchObject({ status: 'queued', priority: 9 });
    expect(queued()).toEqual([expect.objectContaining({ id: session.id, priority: 9 })]);
  }, 60_000);

  it('the daemon admits a queue that was left non-empty across a restart', async () => {
    env.writeConfig('limits:\n  maxConcurrentSessions: 1\ndashboard:\n  port: 0\n');
    const first = spawn('first task');
    const waiting = spawn('waiting task');
    expect(env.ao('start', '--no-orchestrator').code).toBe(0);
    // The daemon ticks with the slot taken: the queued session stays queued.
    await until(() => (JSON.parse(env.ao('daemon', 'status', '--json').stdout) as { lifecycle: { polls: number } }).lifecycle.polls >= 1, 20_000, 'a poll');
    expect(statusOf(waiting)).toBe('queued');
    expect(env.ao('stop').code).toBe(0);

    // Freed while no daemon runs: nothing starts until one does.
    expect(env.ao('session', 'kill', first).code).toBe(0);
    expect(statusOf(waiting)).toBe('queued');
    expect(env.ao('start', '--no-orchestrator').code).toBe(0);
    await until(() => statusOf(waiting) === 'working', 20_000, 'the queued session to start');
    await until(() => env.received().some((t) => t.includes('waiting task')), 10_000, 'its prompt');
  }, 120_000);
});
