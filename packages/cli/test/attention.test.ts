// One attention model, seen from every side: `ao status` (marker, lines, --json, --attention and its
// exit code), `ao watch` and the lifecycle's notifications, on real sessions of the fake agent.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createApprovalStore, createSessionStore, resolvePaths, systemClock } from '@ao/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLifecycleEnv, type LifecycleEnv } from './lifecycle-env.js';
import { AO_BIN } from './run-ao.js';
import { until } from './session-env.js';

let env: LifecycleEnv;
let watcher: ChildProcessWithoutNullStreams | undefined;
beforeEach(async () => {
  env = await createLifecycleEnv();
});
afterEach(async () => {
  watcher?.kill('SIGINT');
  watcher = undefined;
  await env.cleanup();
});

const COMMIT_THEN_IDLE = { steps: [{ write: { path: 'f.txt', content: 'good\n' } }, { commit: 'f: good' }, { idle: true }] };
const CRASH = { steps: [{ print: 'Error: ANTHROPIC_API_KEY is invalid' }, { exit: 3 }] };

function spawnSession(...args: string[]): string {
  const r = env.ao('spawn', ...args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').pop()!.trim();
}

interface Listed {
  id: string;
  attention: { reason: string; text: string; since: string } | null;
}

describe('attention', () => {
  it('a pull request waiting for your review needs you: status, --attention, --json and a notification say so', async () => {
    env.configure({ good: COMMIT_THEN_IDLE });
    const id = spawnSession('--prompt', 'make f good');
    await env.waitForLog('committed');
    await env.waitForLog('waiting');
    expect(env.ao('status', '--attention').code).toBe(0);
    env.poll(); // opens the PR, runs CI
    env.poll();

    const status = env.ao('status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^! +${id} `, 'm'));
    expect(status.stdout).toContain('needs you (1):');
    expect(status.stdout).toContain(`${id}  PR #1 waits for your review (ao review ${id} approve|request-changes, or the dashboard)`);

    const only = env.ao('status', '--attention');
    expect(only.code).toBe(1);
    expect(only.stdout).toMatch(new RegExp(`^! ${id}  review  PR #1 waits for your review`));

    const listed = JSON.parse(env.ao('status', '--json').stdout) as Listed[];
    expect(listed.find((s) => s.id === id)?.attention).toMatchObject({ reason: 'review' });

    expect(env.notifications().filter((n: { event: string }) => n.event === 'needs-attention')).toEqual([
      expect.objectContaining({ title: `${id}: PR #1 waits for your review`, sessionId: id }),
    ]);
    env.poll(); // once per occurrence
    expect(env.notifications().filter((n: { event: string }) => n.event === 'needs-attention')).toHaveLength(1);

    // Reviewed, it needs nobody until the next thing.
    expect(env.ao('review', id, 'request-changes', '-m', 'more').code).toBe(0);
    env.poll();
    expect((JSON.parse(env.ao('status', '--json').stdout) as Listed[]).find((s) => s.id === id)?.attention).toBeNull();
  });

  it('an agent that crashed before its work was done needs you, with what to do', async () => {
    env.configure({ crash: CRASH });
    const id = spawnSession('--prompt', 'anything');
    await env.waitForLog('exited');
    const status = env.ao('status', '--attention');
    expect(status.code).toBe(1);
    // What it said before it died is in the session, not only in the terminal's scrollback.
    expect(status.stdout).toContain(`! ${id}  crashed  the agent exited; its last words: Error: ANTHROPIC_API_KEY is invalid`);
    expect(status.stdout).toContain(`ao session restore ${id}`);
  });

  it('ao watch shows what ao does and when a session starts and stops needing you, live', async () => {
    env.configure({ good: COMMIT_THEN_IDLE });
    // Started before there is any session: it must stay up and pick up the first one.
    watcher = spawn(process.execPath, [AO_BIN, 'watch'], { cwd: env.repo, env: { ...process.env, AO_HOME: env.home, NO_COLOR: '1' } });
    let out = '';
    watcher.stdout.on('data', (d: Buffer) => (out += d.toString()));
    watcher.stderr.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => out.includes('nothing needs you right now'), 10_000, 'ao watch to start');
    const id = spawnSession('--prompt', 'make f good');
    await env.waitForLog('committed');
    await env.waitForLog('waiting');
    await until(() => out.includes(`${id}  session spawned`), 10_000, 'the spawn in ao watch');
    env.poll();
    env.poll();
    await until(() => out.includes(`! ${id} needs you: PR #1 waits for your review`), 10_000, 'the review to show in ao watch');
    expect(out).toMatch(new RegExp(`${id}  PR #1 open`));
    expect(env.ao('review', id, 'request-changes', '-m', 'please explain f').code).toBe(0);
    env.poll();
    await until(() => out.includes(`✓ ${id} no longer needs you`), 10_000, 'the review to leave ao watch');
    await until(() => out.includes(`${id}  ao sent the agent`), 10_000, 'the review comments sent, in ao watch');
    // Approvals are events of the session: asked and decided, each a line, and the ask needs you.
    const paths = resolvePaths({ AO_HOME: env.home });
    const approvals = createApprovalStore({ paths, clock: systemClock, sessions: createSessionStore(paths) });
    const { approval } = await approvals.create({ key: `test:${id}`, project: 'app', sessionId: id, action: { type: 'merge', payload: { prId: '1' } }, reason: 'the test asks', reaction: 'test' });
    await until(() => out.includes(`${id}  approval ${approval.id} (merge PR #1) waits for you: ao approvals approve ${approval.id}`), 10_000, 'the approval asked, in ao watch');
    await until(() => out.includes(`! ${id} needs you: an action waits for your approval`), 10_000, 'the approval to need you in ao watch');
    expect(env.ao('approvals', 'reject', approval.id, '-m', 'no').code).toBe(0);
    await until(() => out.includes(`${id}  approval ${approval.id} (merge PR #1) rejected by `), 10_000, 'the rejection, in ao watch');
    const exited = new Promise<number | null>((resolve) => watcher!.once('exit', resolve));
    watcher.kill('SIGINT');
    expect(await exited).toBe(0);
    watcher = undefined;
  });
});
