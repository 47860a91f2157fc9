import {
  createLifecycleManager,
  createPlanRunner,
  createPlanStore,
  createSpawnQueue,
  createTriggerRunner,
  workTick,
  describeError,
  systemClock,
  type AoPaths,
  type LifecycleManager,
  type PollSummary,
  type Logger,
  type ResolvedConfig,
  type SessionManager,
  type SessionStore,
} from '@ao/core';
import type { ApprovalsControl } from './routes.js';

/** What `GET /api/status` says about the lifecycle loop. */
export interface LifecycleStatus {
  running: boolean;
  polls: number;
  lastPollAt: string | null;
  lastPollOk: boolean | null;
  lastPollResult: unknown;
  lastPollError: string | null;
  lastTrigger: string | null;
}

export interface LifecycleHost {
  start(): void;
  stop(): Promise<void>;
  trigger(reason: string): void;
  status(): LifecycleStatus;
  approvals: ApprovalsControl;
}

/**
 * The daemon's side of the lifecycle: one LifecycleManager (from @ao/core, which owns the
 * approval store), plus the bookkeeping `ao daemon status` shows (last poll time and result).
 */
export async function createLifecycleHost(deps: {
  config: ResolvedConfig;
  manager: SessionManager;
  store: SessionStore;
  paths: AoPaths;
  logger: Logger;
}): Promise<LifecycleHost> {
  const { config, manager, store, paths, logger } = deps;
  const lifecycle: LifecycleManager = createLifecycleManager({
    config,
    manager,
    store,
    paths,
    logger: logger.child({ component: 'lifecycle' }),
    clock: systemClock,
  });
  const state: LifecycleStatus = {
    running: false,
    polls: 0,
    lastPollAt: null,
    lastPollOk: null,
    lastPollResult: null,
    lastPollError: null,
    lastTrigger: null,
  };
  // Plans and admission after every poll (the poll has just seen which sessions finished): the
  // daemon is what starts queued work. One pass at a time; a pass asked for meanwhile runs after it.
  const queue = createSpawnQueue({ config, manager, store, paths, logger: logger.child({ component: 'queue' }) });
  // Triggers and plans first (see workTick): work they queue is admitted in the same tick.
  const runner = createPlanRunner({ config, manager, queue, store, plans: createPlanStore(paths), logger: logger.child({ component: 'plans' }), clock: systemClock });
  const triggers = createTriggerRunner({ config, manager, queue, store, paths, logger: logger.child({ component: 'triggers' }), clock: systemClock });
  let admitting: Promise<void> = Promise.resolve();
  const admit = (): void => {
    admitting = admitting.then(async () => {
      const result = await workTick({ triggers, plans: runner, queue }).catch((error: unknown) => {
        logger.warn({ err: describeError(error) }, 'queue admission failed');
        return undefined;
      });
      for (const e of result?.errors ?? []) logger.warn({ err: e }, 'work tick');
      if (result?.admitted.started.length) lifecycle.trigger('queue');
    });
  };
  lifecycle.onEvent((event) => {
    const e = event as { type: string; ts?: string; result?: PollSummary; error?: unknown };
    if (e.type !== 'poll') return;
    admit();
    state.polls += 1;
    state.lastPollAt = e.ts ?? new Date().toISOString();
    state.lastPollOk = e.error === undefined;
    state.lastPollError = e.error === undefined ? null : describeError(e.error);
    // Counts, not the whole summary: status stays small and readable.
    state.lastPollResult = e.result
      ? {
          sessions: e.result.sessions,
          transitions: e.result.transitions.length,
          reactions: e.result.reactions.length,
          approvals: e.result.approvals.length,
          errors: e.result.errors.length,
          durationMs: e.result.durationMs,
        }
      : null;
  });

  return {
    start() {
      lifecycle.start();
      state.running = true;
    },
    async stop() {
      state.running = false;
      await lifecycle.stop();
      await admitting;
    },
    trigger(reason) {
      state.lastTrigger = reason;
      lifecycle.trigger(reason);
    },
    status: () => ({ ...state }),
    approvals: {
      list: () => lifecycle.approvals.list(),
      // Through the lifecycle, so an approved action runs exactly once, now.
      approve: (id, message) => lifecycle.approve(id, { by: 'api', ...(message ? { message } : {}) }),
      reject: (id, message) => lifecycle.reject(id, { by: 'api', ...(message ? { message } : {}) }),
    },
  };
}
