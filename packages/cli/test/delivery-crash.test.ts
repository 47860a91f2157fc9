// kill -9 at every step of a reaction's send, then a second process recovers: the CI failure
// reaches the agent exactly once, or a human is told. Real `ao lifecycle poll` processes killed
// by the test-only crash point (AO_TEST_CRASH_AT), real tmux, the scripted fake agent.
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAo } from './run-ao.js';
import { until } from './session-env.js';
import { createLifecycleEnv, type LifecycleEnv } from './lifecycle-env.js';

let env: LifecycleEnv;
beforeEach(async () => {
  env = await createLifecycleEnv();
});
afterEach(async () => {
  await env.cleanup();
});

const BAD_THEN_IDLE = { steps: [{ write: { path: 'f.txt', content: 'bad\n' } }, { commit: 'f: bad' }, { idle: true }] };
const ciMessages = () => env.received().filter((t) => t.includes('CI failed'));

/** A session whose PR's CI failed, one poll away from sending the failure to the agent. */
async function ciFailedSession(): Promise<string> {
  env.configure({ bad: BAD_THEN_IDLE }, 'autonomy: autopilot');
  const spawned = env.ao('spawn', '--prompt', 'make f.txt');
  expect(spawned.code, spawned.stderr).toBe(0);
  await env.waitForLog('committed');
  await env.waitForLog('waiting');
  env.poll(); // opens the PR and runs its CI
  return spawned.stdout.trim();
}

/** One `ao lifecycle poll` that SIGKILLs itself at `step`. */
function pollKilledAt(step: string): void {
  const r = runAo(['lifecycle', 'poll'], { cwd: env.repo, env: { AO_HOME: env.home, AO_TEST_CRASH_AT: step } });
  expect(r.code, `the poll should have been killed at ${step}: ${r.stdout}${r.stderr}`).toBe(-1);
}

const done = (id: string) => env.events(id).filter((e) => e.type === 'reaction.done' && e.data?.reaction === 'ci-failed');

describe('a reaction send killed at every step', () => {
  it.each(['reaction.pending', 'reaction.attempt', 'message.sending', 'tmux.loaded', 'message.pasted', 'message.sent', 'reaction.done'])(
    'killed at %s: the next poll completes it and the agent gets the CI failure exactly once',
    async (step) => {
      const id = await ciFailedSession();
      pollKilledAt(step);
      env.poll(); // recovers
      env.poll(); // and changes nothing more
      await until(() => ciMessages().length >= 1, 10_000, 'the CI failure to reach the agent');
      // The agent answers every submission; one more message proves all earlier input was read.
      expect(env.ao('send', id, 'last one').code).toBe(0);
      await until(() => env.received().includes('last one'), 10_000, 'the last message');
      expect(ciMessages()).toHaveLength(1);
      expect(ciMessages()[0]).toContain('FAIL: f.txt says "bad", expected good');
      expect(done(id)).toHaveLength(1);
      expect(String(done(id)[0]!.data?.outcome)).toMatch(/^sent/);
      expect(env.notifications().filter((n) => n.event === 'delivery-uncertain')).toHaveLength(0);
    },
    90_000,
  );

  it('killed after the paste, with the agent gone before recovery: not sent again, a human is told', async () => {
    const id = await ciFailedSession();
    pollKilledAt('message.pasted');
    await until(() => ciMessages().length === 1, 10_000, 'the pasted CI failure');
    // Its terminal goes away behind ao's back: whether the agent got the message cannot be asked.
    execFileSync('tmux', ['kill-session', '-t', `=${env.tmuxName(id)}`]);
    env.poll();
    env.poll();
    expect(ciMessages()).toHaveLength(1);
    expect(done(id)).toHaveLength(1);
    expect(String(done(id)[0]!.data?.outcome)).toMatch(/^uncertain: .*a human was told/);
    const told = env.notifications().filter((n) => n.event === 'delivery-uncertain' && n.sessionId === id);
    expect(told).toHaveLength(1);
    expect(told[0]!.body).toContain(`ao session attach ${id}`);
  });
});
