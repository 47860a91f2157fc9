// When a (re)started agent can take input: judged by the agent's own reading of its screen, on a
// screen that has settled; bounded by an injected clock (fake time advances only in sleep).
import { describe, expect, it } from 'vitest';
import { detectScreenActivity, type Agent } from '../src/index.js';
import type { Clock } from '../src/contracts/plugin.js';
import type { Runtime, RuntimeHandle } from '../src/contracts/runtime.js';
import { holdsMessage } from '../src/sessions/delivery.js';
import { awaitingReady, waitForAgentReady } from '../src/sessions/ready.js';
import type { SessionEvent } from '../src/sessions/schema.js';

const handle: RuntimeHandle = { runtime: 'memory', id: 'a-1' };

/** A clock whose time moves only when someone sleeps. */
function fakeClock(): Clock {
  let now = 1_000_000;
  return { now: () => now, sleep: async (ms) => void (now += ms) };
}

/** A terminal whose screen is `screens[i]` on the i-th look (the last one stays), alive until `exitsAt` looks. */
function terminal(screens: string[], exitsAt = Infinity): Runtime {
  let looks = 0;
  return {
    isAlive: async () => looks < exitsAt,
    capture: async () => screens[Math.min(looks++, screens.length - 1)] as string,
  } as Partial<Runtime> as Runtime;
}

/** An agent whose input prompt is `> ` (as a `command` agent with an `idlePattern` reads its screen). */
const agent = { canResume: false, launch: () => ({ argv: ['x'] }), detectActivity: async (probe) => detectScreenActivity(probe, { idle: [/^>\s*$/m] }) } as Agent;
const probe = { workspacePath: '/w', startedAt: 0 };

describe('waitForAgentReady', () => {
  it('is ready once the prompt is up on a settled screen, not while the agent starts', async () => {
    const clock = fakeClock();
    const started = clock.now();
    const ready = await waitForAgentReady(terminal(['', 'Loading…', 'Loading…', 'Loading…', 'Loading…', 'Loading…', 'Loading…', 'hello\n> ']), handle, agent, probe, clock);
    expect(ready).toEqual({ state: 'ready' });
    // Not before the prompt: the loading screen settled, and was not taken for readiness.
    expect(clock.now() - started).toBeGreaterThanOrEqual(700);
  });

  it('gives up after the timeout with what the agent and its screen last said', async () => {
    const clock = fakeClock();
    const started = clock.now();
    const ready = await waitForAgentReady(terminal(['Loading…']), handle, agent, probe, clock, { timeoutMs: 5_000 });
    expect(ready).toEqual({ state: 'not-ready', detail: 'quiet, not at its prompt', screen: 'Loading…' });
    expect(clock.now() - started).toBe(5_000);
  });

  it('says exited when the process ends while it waits', async () => {
    expect(await waitForAgentReady(terminal(['Loading…'], 3), handle, agent, probe, fakeClock())).toEqual({ state: 'exited' });
  });
});

describe('awaitingReady', () => {
  const ev = (type: string, set?: Record<string, unknown>): SessionEvent => ({ ts: '2026-01-01T00:00:00.000Z', type, ...(set ? { set } : {}) });
  it('waits only for an agent a restore started that has taken nothing and was never seen at its prompt', () => {
    expect(awaitingReady([ev('runtime.started'), ev('message.sent'), ev('session.killed'), ev('session.restored', { activity: 'active' })])).toBe(true);
    expect(awaitingReady([ev('session.restored'), ev('activity.changed', { activity: 'active' })])).toBe(true);
    expect(awaitingReady([ev('session.restored'), ev('activity.changed', { activity: 'idle' })])).toBe(false);
    expect(awaitingReady([ev('session.restored'), ev('message.sent')])).toBe(false);
    // A spawned agent got its prompt and may be working: messages go in at once.
    expect(awaitingReady([ev('runtime.started', { activity: 'active' })])).toBe(false);
  });
});

describe('holdsMessage', () => {
  it("tells a message in the agent's input box from an empty box and from other text", () => {
    const message = 'You are working on the project app, in a git workspace.\n\nYour task: fix it.';
    expect(holdsMessage('You are working on the project app, in a git', message)).toBe(true);
    // Wrapped by the TUI: whitespace differs.
    expect(holdsMessage('You are working on\nthe project app', message)).toBe(true);
    expect(holdsMessage('[Pasted text #1 +33 lines]', message)).toBe(true);
    expect(holdsMessage('', message)).toBe(false);
    expect(holdsMessage('Try "refactor main.ts"', message)).toBe(false);
  });
});
