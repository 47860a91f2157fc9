import { createFileLogger, createLifecycleManager, systemClock, workTick, type LifecycleManager, type PollSummary } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { color, print } from '../render.js';
import { loadSessions, type SessionCli } from '../sessions.js';
import { loadPlans } from './plan.js';

export interface LifecycleCli extends SessionCli {
  lifecycle: LifecycleManager;
}

/** The SessionManager plus a LifecycleManager (not started): for one poll or one approval, no daemon needed. */
export async function loadLifecycle(globals: GlobalOptions): Promise<LifecycleCli> {
  const cli = await loadSessions(globals);
  const logger = createFileLogger(cli.paths.logs).child({ cmd: process.argv[2], component: 'lifecycle' });
  const lifecycle = createLifecycleManager({ config: cli.config, manager: cli.manager, store: cli.store, paths: cli.paths, logger, clock: systemClock });
  return { ...cli, lifecycle };
}

/**
 * `ao lifecycle poll`: one lifecycle pass in the foreground (statuses, PRs, CI, reactions), as the
 * daemon runs every `lifecycle.pollIntervalMs`. A local CI run it starts keeps the command alive
 * until the run finished and was recorded, so the next poll sees its result.
 */
export async function poll([opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { json?: boolean };
  const cli = await loadLifecycle(globals);
  const summary = await cli.lifecycle.pollOnce();
  // Then plans and admission, as on each of the daemon's ticks: steps whose dependencies finished
  // are queued, and queued work starts where the limits allow.
  const { queue, runner, triggers } = await loadPlans(globals, cli);
  const tick = await workTick({ triggers, plans: runner, queue });
  for (const message of tick.errors) summary.errors.push({ message });
  const admitted = tick.admitted;
  if (flags.json) print(JSON.stringify({ ...summary, queue: { started: admitted.started.map((s) => s.id), failed: admitted.failed, queued: admitted.queued } }, null, 2));
  else {
    render(summary);
    for (const f of tick.firings) print(`  trigger ${f.trigger}: ${f.outcome}`);
    for (const s of admitted.started) print(`  ${s.id} started from the queue`);
    for (const f of admitted.failed) print(color.red(`  ${f.id} could not start from the queue: ${f.error}`));
    if (admitted.queued > 0) print(color.dim(`  ${admitted.queued} queued${admitted.blocked ? `, waiting: ${admitted.blocked.message}` : ''}`));
  }
  return summary.errors.length > 0 || admitted.failed.length > 0 ? 1 : 0;
}

function render(s: PollSummary): void {
  print(`polled ${s.sessions} session(s) in ${s.durationMs} ms`);
  for (const t of s.transitions) print(`  ${t.sessionId} ${t.from} → ${color.bold(t.to)} ${color.dim(t.reason)}`);
  for (const r of s.reactions) print(`  ${r.sessionId} ${r.reaction}: ${r.error ? color.red(`failed: ${r.error}`) : (r.outcome ?? '')}`);
  for (const a of s.approvals) print(`  approval ${a.id}: ${a.error ? color.red(a.error) : (a.outcome ?? '')}`);
  for (const e of s.errors) print(color.red(`  error${e.sessionId ? ` (${e.sessionId})` : e.project ? ` (${e.project})` : ''}: ${e.message}`));
}
