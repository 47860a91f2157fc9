import { lastScreenLines } from '../activity/screen.js';
import type { Agent } from '../contracts/agent.js';
import type { Clock } from '../contracts/plugin.js';
import type { Runtime, RuntimeHandle } from '../contracts/runtime.js';
import type { SessionEvent } from './schema.js';

/**
 * Resolves once the process has drawn something and the screen has stopped changing for a moment:
 * the agent is up and reading input. Polls the screen (the signal) at a short interval and gives up
 * waiting after `timeoutMs`, so a silent agent still gets its input rather than hanging the spawn.
 */
export async function waitForScreen(
  runtime: Runtime,
  handle: RuntimeHandle,
  clock: Clock,
  options: { timeoutMs?: number; settleMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const settleMs = options.settleMs ?? 250;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = clock.now() + timeoutMs;
  let last = '';
  let stableSince = clock.now();
  while (clock.now() < deadline) {
    const screen = (await runtime.capture(handle, { lines: 0 }).catch(() => '')).trimEnd();
    if (screen !== last) {
      last = screen;
      stableSince = clock.now();
    } else if (screen !== '' && clock.now() - stableSince >= settleMs) {
      return;
    }
    await clock.sleep(intervalMs);
  }
}

/** What the agent can take once `waitForAgentReady` returns. */
export type Readiness =
  | { state: 'ready' }
  | { state: 'exited' }
  /** Still not ready when the wait ended: the agent's last judgement of itself and its screen. */
  | { state: 'not-ready'; detail: string | undefined; screen: string };

/** Activities in which an agent reads what is typed: at its prompt, on a question, or stopped by a login or limit it may be told about. */
const TAKES_INPUT = new Set(['idle', 'waiting_input', 'blocked']);

/**
 * Waits until a (re)started agent can take input, as the agent plugin judges its screen (OpenCode
 * draws a blank screen, then its input box, seconds after it started; text typed before that is
 * lost): `ready` once `detectActivity` says it is at its prompt or on a question, on a screen that
 * stayed unchanged for `settleMs`; `exited` when its process ends; `not-ready` after `timeoutMs`.
 */
export async function waitForAgentReady(
  runtime: Runtime,
  handle: RuntimeHandle,
  agent: Agent,
  probe: { workspacePath: string; startedAt: number },
  clock: Clock,
  options: { timeoutMs?: number; settleMs?: number; intervalMs?: number } = {},
): Promise<Readiness> {
  const timeoutMs = options.timeoutMs ?? READY_TIMEOUT_MS;
  const settleMs = options.settleMs ?? 300;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = clock.now() + timeoutMs;
  let last: string | undefined;
  let stableSince = clock.now();
  let detail: string | undefined;
  for (;;) {
    if (!(await runtime.isAlive(handle).catch(() => true))) return { state: 'exited' };
    const screen = await runtime.capture(handle, { lines: 50 }).catch(() => '');
    if (screen !== last) {
      last = screen;
      stableSince = clock.now();
    } else if (clock.now() - stableSince >= settleMs) {
      // As the lifecycle asks it (no screen age): the settle above stands for "quiet".
      const report = await agent.detectActivity({ workspacePath: probe.workspacePath, alive: true, screen, startedAt: probe.startedAt, now: clock.now() });
      if (report.activity === 'exited') return { state: 'exited' };
      if (TAKES_INPUT.has(report.activity)) return { state: 'ready' };
      detail = report.detail;
    }
    if (clock.now() >= deadline) return { state: 'not-ready', detail, screen: last ?? '' };
    await clock.sleep(intervalMs);
  }
}

/** How long a message to a just restored agent waits for it to be ready (a cold CLI start on a busy machine). */
export const READY_TIMEOUT_MS = 60_000;

/**
 * Whether the agent the session's last restore started has not yet shown that it takes input:
 * nothing was delivered to it, and no activity reading since found it at its prompt or on a
 * question. Only a restore counts: a spawned agent got its prompt, and is working on it.
 */
export function awaitingReady(events: readonly SessionEvent[]): boolean {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i] as SessionEvent;
    if (event.type === 'session.restored') return true;
    if (event.type === 'runtime.started' || event.type === 'message.sent') return false;
    const activity = event.set?.activity;
    if (typeof activity === 'string' && TAKES_INPUT.has(activity)) return false;
  }
  return false;
}

/**
 * The last `count` non-blank lines an agent left on its screen, where its terminal still shows them
 * after it exited (tmux keeps a dead pane); tmux's own "Pane is dead" line left out. Empty when the
 * runtime keeps nothing.
 */
export async function agentLastLines(runtime: Runtime, handle: RuntimeHandle, count = 10): Promise<string[]> {
  const screen = await runtime.capture(handle, { lines: 60 }).catch(() => '');
  return lastScreenLines(screen, count + 1)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^Pane is dead/.test(line))
    .slice(-count);
}
