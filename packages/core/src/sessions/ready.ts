import type { Clock } from '../contracts/plugin.js';
import type { Runtime, RuntimeHandle } from '../contracts/runtime.js';

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
