import { daemonRequest, readDaemonInfo, type AoPaths } from '@ao/core';
import type { OrchestratorState } from './orchestrator.js';

/**
 * Tells a running daemon that something changed (a spawn, a message, a kill), so its lifecycle
 * polls now rather than on its next tick. Best effort by design: without a daemon, or when it does
 * not answer within `timeoutMs`, the CLI command has still done its job.
 */
export async function notifyDaemon(paths: AoPaths, reason: string, timeoutMs = 1_000): Promise<void> {
  if (!readDaemonInfo(paths)) return;
  try {
    await daemonRequest(paths, '/api/lifecycle/poll', { method: 'POST', body: { reason }, timeoutMs });
  } catch {
    // ignored: see above
  }
}

/** Polls `/api/status` until the orchestrator is no longer `starting` (or `timeoutMs` passes). */
export async function waitForOrchestrator(paths: AoPaths, timeoutMs: number): Promise<OrchestratorState> {
  const deadline = Date.now() + timeoutMs;
  let last: OrchestratorState = { state: 'starting' };
  while (Date.now() < deadline) {
    try {
      const status = await daemonRequest<{ orchestrator?: OrchestratorState }>(paths, '/api/status', { timeoutMs: 2_000 });
      if (status.orchestrator) last = status.orchestrator;
      if (last.state !== 'starting') return last;
    } catch (error) {
      return { state: 'failed', error: `the daemon stopped answering: ${(error as Error).message}` };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return last;
}
