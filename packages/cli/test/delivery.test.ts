// Delivering messages to agents under contention, with the built CLI, real tmux and the scripted
// fake agent (which logs every submission it receives).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { until } from './session-env.js';
import { createLifecycleEnv, type LifecycleEnv } from './lifecycle-env.js';

let env: LifecycleEnv;
beforeEach(async () => {
  env = await createLifecycleEnv();
});
afterEach(async () => {
  await env.cleanup();
});

/** Spins ("active") without ever reading a prompt: it becomes `stuck`, and logs what it receives. */
const SPINNER = { steps: [{ print: '⠋ thinking very hard' }, { sleep: 600000 }] };

describe('concurrent delivery', () => {
  it('20 ao send processes and a lifecycle send at once: each message arrives once, intact, as its own submission', async () => {
    env.configure({ spinner: SPINNER }, 'autonomy: manual\nlifecycle: { stuckAfterMs: 100 }\nreactions:\n  stuck: { message: "still there? say what you need" }');
    const spawned = env.ao('spawn', '--prompt', 'think');
    expect(spawned.code, spawned.stderr).toBe(0);
    const id = spawned.stdout.trim();
    await until(() => env.received().length === 1, 10_000, 'the prompt');
    const prompt = env.received()[0]!;
    // The stuck nudge is held for approval (manual): approving it sends it from this process.
    await until(() => {
      env.poll();
      return env.json<unknown[]>('approvals', 'ls', '--json').length === 1;
    }, 20_000, 'the stuck nudge to be held for approval');
    const [approval] = env.json<{ id: string }[]>('approvals', 'ls', '--json');

    const messages = Array.from({ length: 20 }, (_, i) => `msg-${i}: first line\nsecond line of msg-${i}`);
    const results = await Promise.all([
      ...messages.map((m) => env.aoAsync('send', id, m)),
      env.aoAsync('approvals', 'approve', approval!.id),
    ]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);

    // Everything above was pasted before its sender exited; a last message marks the end of input.
    expect(env.ao('send', id, 'the end').code).toBe(0);
    await until(() => env.received().some((t) => t.includes('the end')), 10_000, 'the last message');
    const expected = [prompt, ...messages, 'still there? say what you need', 'the end'];
    expect(env.received().slice().sort()).toEqual(expected.slice().sort());
    // The prompt went in as an argument (`prompt: arg`); everything else was logged as sent.
    expect(env.events(id).filter((e) => e.type === 'message.sent')).toHaveLength(expected.length - 1);
  });
});
