import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AoPaths, Clock, Logger } from '../contracts/plugin.js';
import type { Tracker } from '../contracts/tracker.js';
import { pickProject, type ResolvedConfig } from '../config/resolve.js';
import { AoError, describeError } from '../errors.js';
import type { SpawnQueue } from '../queue/queue.js';
import { hasCode, mkdirPrivate, writeJsonRecord } from '../sessions/fs-atomic.js';
import { withFileLock } from '../sessions/lock.js';
import type { SessionManager } from '../sessions/manager.js';
import type { SessionStore } from '../sessions/store.js';
import { TERMINAL_STATUSES, type Session } from '../sessions/schema.js';
import { TriggerStatesSchema, type Trigger, type TriggerState } from './schema.js';

export interface TriggerRunnerDeps {
  config: ResolvedConfig;
  manager: SessionManager;
  queue: SpawnQueue;
  paths: AoPaths;
  /** Where `trigger.fired` events are appended. */
  store: SessionStore;
  logger: Logger;
  clock: Clock;
}

/** One firing: the session it queued, or why it queued none. */
export interface TriggerFiring {
  trigger: string;
  key: string;
  sessionId?: string;
  outcome: string;
}

export interface TriggerView {
  id: string;
  when: string;
  policy: Trigger['policy'];
  /** Cron triggers: the next slot, ISO. */
  nextRun?: string;
  lastFiredAt?: string;
  lastOutcome?: string;
  /** A trigger that cannot run (a bad cron expression, an unknown project). */
  error?: string;
}

/**
 * Fires `triggers:` of the config. The daemon calls `tick` on every lifecycle tick: a cron trigger
 * fires once when a slot has passed since the last one it handled (missed slots are not replayed
 * one by one), an issue trigger once per issue that appeared since it last looked. A firing only
 * queues a session (tagged `trigger: { id, key }`); a session already tagged with that firing (an
 * earlier tick died before saving) is taken as the firing, so none happens twice.
 */
export interface TriggerRunner {
  tick(): Promise<TriggerFiring[]>;
  /** Fires one trigger now: a cron trigger's prompt, or an issue trigger for every matching open issue without a session of it. */
  run(id: string): Promise<TriggerFiring[]>;
  list(): Promise<TriggerView[]>;
}

type CronLike = { nextRun(prev?: Date): Date | null };

export function createTriggerRunner(deps: TriggerRunnerDeps): TriggerRunner {
  const { config, manager, queue, paths, store, logger, clock } = deps;
  const file = join(paths.home, 'triggers.json');
  const iso = (ms = clock.now()): string => new Date(ms).toISOString();

  const readStates = async (): Promise<Record<string, TriggerState>> => {
    try {
      const parsed = TriggerStatesSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
      if (parsed.success) return parsed.data;
      logger.warn({ file }, 'triggers.json is damaged; starting from scratch');
      return {};
    } catch (error) {
      if (hasCode(error, 'ENOENT')) return {};
      if (error instanceof SyntaxError) return {};
      throw error;
    }
  };
  const locked = async <T>(fn: (states: Record<string, TriggerState>, save: () => Promise<void>) => Promise<T>): Promise<T> => {
    await mkdirPrivate(paths.home);
    return withFileLock(join(paths.home, 'triggers.lock'), async () => {
      const states = await readStates();
      return fn(states, () => writeJsonRecord(file, states));
    }, { timeoutMs: 60_000 });
  };

  const cronOf = async (t: Trigger): Promise<CronLike> => {
    const { Cron } = await import('croner');
    try {
      return new Cron(t.cron as string, { paused: true, ...(t.timezone ? { timezone: t.timezone } : {}) });
    } catch (error) {
      throw new AoError('CONFIG_INVALID', `Trigger ${t.id}: cron "${t.cron}" is not valid: ${(error as Error).message} (${config.file})`, { cause: error });
    }
  };

  const byId = (id: string): Trigger => {
    const t = config.triggers.find((x) => x.id === id);
    if (!t) throw new AoError('USAGE', `No trigger "${id}" in ${config.file} (triggers: ${config.triggers.map((x) => x.id).join(', ') || 'none'})`, { exitCode: 2 });
    return t;
  };

  /** Queues the work of one firing, following the trigger's policy toward its earlier work. */
  async function fire(t: Trigger, key: string, sessions: readonly Session[], issue?: string): Promise<TriggerFiring> {
    const ofTrigger = sessions.filter((s) => s.trigger?.id === t.id);
    const same = ofTrigger.find((s) => s.trigger?.key === key);
    if (same) return { trigger: t.id, key, sessionId: same.id, outcome: `queued ${same.id}` };
    const running = ofTrigger.filter((s) => !TERMINAL_STATUSES.includes(s.status) && s.activity !== 'exited');
    if (running.length > 0 && t.policy === 'skip-if-running') {
      return { trigger: t.id, key, outcome: `skipped: ${running.map((s) => s.id).join(', ')} still ${running.length === 1 ? 'runs' : 'run'}` };
    }
    if (t.policy === 'replace') {
      for (const s of running) {
        if (s.status === 'queued') await queue.remove(s.id);
        else await manager.kill(s.id);
      }
    }
    const session = await manager.spawn({
      project: pickProject(config, t.project).name,
      ...(issue !== undefined ? { issue } : {}),
      ...(t.prompt !== undefined ? { prompt: t.prompt } : {}),
      ...(t.agent ? { agent: t.agent } : {}),
      priority: t.priority ?? 5,
      queue: 'always',
      trigger: { id: t.id, key },
    });
    logger.info({ trigger: t.id, key, session: session.id }, 'trigger fired');
    const replaced = t.policy === 'replace' && running.length > 0 ? ` (replacing ${running.map((s) => s.id).join(', ')})` : '';
    // The firing is an event in the log of the work it queued: `/api/events` and `ao events` see it.
    await store
      .append(session.project, session.id, [{ type: 'trigger.fired', data: { trigger: t.id, key, policy: t.policy, ...(replaced ? { replaced: running.map((s) => s.id) } : {}) } }])
      .catch((error: unknown) => logger.warn({ trigger: t.id, session: session.id, err: describeError(error) }, 'could not record trigger.fired event'));
    return { trigger: t.id, key, sessionId: session.id, outcome: `queued ${session.id}${replaced}` };
  }

  const record = (state: TriggerState, firing: TriggerFiring): void => {
    state.lastFiredAt = iso();
    state.lastOutcome = firing.outcome;
  };

  async function openIssues(t: Trigger): Promise<{ id: string }[]> {
    const project = pickProject(config, t.project);
    const tracker: Tracker = await manager.plugins.plugin(project, 'tracker');
    return tracker.listIssues({ state: 'open', ...(t.on === 'issue.labeled' ? { labels: [t.label as string] } : {}) });
  }

  return {
    tick: () =>
      locked(async (states, save) => {
        const firings: TriggerFiring[] = [];
        const { sessions } = await manager.list({ refresh: false });
        const now = clock.now();
        for (const t of config.triggers) {
          const state = (states[t.id] ??= {});
          try {
            if (t.cron !== undefined) {
              const cron = await cronOf(t);
              if (state.lastSlot === undefined) {
                // First sight: the schedule starts now; slots before it are not replayed.
                state.lastSlot = iso(now);
                await save();
                continue;
              }
              let slot: Date | null = null;
              for (let next = cron.nextRun(new Date(state.lastSlot)); next && next.getTime() <= now; next = cron.nextRun(next)) slot = next;
              if (!slot) continue;
              const firing = await fire(t, slot.toISOString(), sessions);
              state.lastSlot = slot.toISOString();
              record(state, firing);
              firings.push(firing);
              await save();
            } else {
              const issues = await openIssues(t);
              if (state.seen === undefined) {
                state.seen = issues.map((i) => i.id);
                await save();
                continue;
              }
              for (const issue of issues.filter((i) => !state.seen?.includes(i.id))) {
                const firing = await fire(t, `issue:${issue.id}`, sessions, issue.id);
                state.seen = [...(state.seen ?? []), issue.id];
                record(state, firing);
                firings.push(firing);
                await save();
              }
            }
          } catch (error) {
            logger.warn({ trigger: t.id, err: describeError(error) }, 'trigger failed');
            state.lastOutcome = `failed: ${describeError(error)}`;
            await save();
          }
        }
        return firings;
      }),

    run: (id) =>
      locked(async (states, save) => {
        const t = byId(id);
        const state = (states[t.id] ??= {});
        const { sessions } = await manager.list({ refresh: false });
        const firings: TriggerFiring[] = [];
        if (t.cron !== undefined) {
          firings.push(await fire(t, `manual:${iso()}`, sessions));
        } else {
          for (const issue of await openIssues(t)) {
            if (sessions.some((s) => s.trigger?.id === t.id && s.issue === issue.id)) continue;
            firings.push(await fire(t, `issue:${issue.id}`, sessions, issue.id));
            state.seen = [...new Set([...(state.seen ?? []), issue.id])];
          }
          if (firings.length === 0) firings.push({ trigger: t.id, key: 'manual', outcome: 'nothing to do: every matching open issue already has a session of this trigger' });
        }
        for (const f of firings) record(state, f);
        await save();
        return firings;
      }),

    async list() {
      const states = await readStates();
      const views: TriggerView[] = [];
      for (const t of config.triggers) {
        const state = states[t.id] ?? {};
        const view: TriggerView = {
          id: t.id,
          when: t.cron !== undefined ? `cron ${t.cron}${t.timezone ? ` (${t.timezone})` : ''}` : `on ${t.on}${t.label ? ` ${t.label}` : ''}`,
          policy: t.policy,
          ...(state.lastFiredAt ? { lastFiredAt: state.lastFiredAt } : {}),
          ...(state.lastOutcome ? { lastOutcome: state.lastOutcome } : {}),
        };
        if (t.cron !== undefined) {
          try {
            const from = new Date(Math.max(clock.now(), state.lastSlot ? Date.parse(state.lastSlot) : 0));
            const next = (await cronOf(t)).nextRun(from);
            if (next) view.nextRun = next.toISOString();
          } catch (error) {
            view.error = describeError(error);
          }
        }
        views.push(view);
      }
      return views;
    },
  };
}
