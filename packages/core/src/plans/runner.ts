import type { Clock, Logger } from '../contracts/plugin.js';
import type { Workspace } from '../contracts/workspace.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { AoError, describeError } from '../errors.js';
import type { SpawnQueue } from '../queue/queue.js';
import type { SessionManager } from '../sessions/manager.js';
import type { Session } from '../sessions/schema.js';
import type { SessionStore } from '../sessions/store.js';
import { renderTemplate } from '../templates.js';
import { parsePlanText, type ParsedPlan } from './parse.js';
import { FINAL_STEP_STATES, type PlanRecord, type PlanStep, type StepRun, type StepState, type StepStatus } from './schema.js';
import type { PlanStore } from './store.js';

export interface PlanRunnerDeps {
  config: ResolvedConfig;
  manager: SessionManager;
  queue: SpawnQueue;
  plans: PlanStore;
  /** Where `plan.step` events are appended (see `announce`). */
  store: SessionStore;
  logger: Logger;
  clock: Clock;
}

/**
 * Drives plans: each `advance` reads the sessions of a plan's steps, records what became of them,
 * and queues the steps whose dependencies reached their `when` state. It only ever adds work to
 * the queue; the daemon admits it. Every step started is in the plan file before the next one
 * starts, and a session already recorded for a step (by a run that died before saving) is adopted,
 * never started again.
 */
export interface PlanRunner {
  /** Validates a plan file; unless `dryRun`, stores it and queues its first steps. */
  run(text: string, file: string, options?: { cwd?: string; dryRun?: boolean }): Promise<{ parsed: ParsedPlan; record?: PlanRecord }>;
  advance(id: string): Promise<PlanRecord>;
  /** Advances every running plan; what failed is returned, not thrown. */
  advanceAll(): Promise<{ advanced: number; errors: { id: string; error: string }[] }>;
  /** Pending steps become `cancelled`; queued sessions leave the queue; running ones are killed (work kept). */
  cancel(id: string): Promise<PlanRecord>;
  setContext(id: string, key: string, value: string): Promise<PlanRecord>;
}

/** Minutes before retry `attempt + 1`: 1, 2, 4… at most 30. */
export function retryDelayMs(attempt: number): number {
  return Math.min(30, 2 ** (attempt - 1)) * 60_000;
}

const TRANSIENT: readonly string[] = ['QUEUE_FULL', 'LOCK_TIMEOUT', 'DISK_FULL'];

const isFinal = (state: StepState): boolean => FINAL_STEP_STATES.includes(state);

/** Whether a dependency that ended in `dep` satisfies `when`. */
function satisfies(when: PlanStep['when'], dep: StepState): boolean {
  if (when === 'always') return true;
  if (when === 'merged') return dep === 'merged';
  if (when === 'done') return dep === 'merged' || dep === 'done';
  return dep === 'failed';
}

/** `{{steps.<id>.summary}}`: one line per item (its latest attempt). */
export function stepSummary(step: StepStatus): string {
  const latest = latestRuns(step);
  if (latest.length === 0) return `(${step.id}: ${step.state}${step.reason ? `, ${step.reason}` : ''})`;
  return latest.map((r) => `- ${r.item ?? step.id}: ${r.state}${r.pr ? ` (PR #${r.pr})` : ''}, session ${r.sessionId}${r.reason ? `: ${r.reason}` : ''}`).join('\n');
}

function latestRuns(step: StepStatus): StepRun[] {
  const byItem = new Map<string, StepRun>();
  for (const r of step.runs) {
    const key = r.item ?? '';
    if ((byItem.get(key)?.attempt ?? 0) < r.attempt) byItem.set(key, r);
  }
  return [...byItem.values()];
}

export function createPlanRunner(deps: PlanRunnerDeps): PlanRunner {
  const { config, manager, queue, plans, store, logger, clock } = deps;
  const iso = (ms = clock.now()): string => new Date(ms).toISOString();

  /**
   * A step's change of state is an event in a session's log, so `/api/events`, `ao events` and the
   * dashboard see it like any other: `plan.step` with `{ plan, step, from, to, reason?, planState }`,
   * in the log of the step's latest session, or, for a step that never had one (skipped, cancelled
   * before starting), of the plan's most recently started session. Appended after the plan file is
   * saved, so whoever reacts to the event reads the new state.
   */
  async function announce(before: PlanRecord, after: PlanRecord): Promise<void> {
    const allRuns = after.steps.flatMap((s) => s.runs).sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
    const fallback = allRuns[allRuns.length - 1]?.sessionId;
    const bySession = new Map<string, { type: string; data: Record<string, unknown> }[]>();
    for (const status of after.steps) {
      const from = before.steps.find((s) => s.id === status.id)?.state;
      if (from === status.state) continue;
      const own = status.runs.reduce<StepRun | undefined>((latest, r) => (!latest || r.startedAt >= latest.startedAt ? r : latest), undefined)?.sessionId;
      const target = own ?? fallback;
      if (!target) continue;
      const data = { plan: after.id, step: status.id, from: from ?? null, to: status.state, ...(status.reason ? { reason: status.reason } : {}), planState: after.state };
      bySession.set(target, [...(bySession.get(target) ?? []), { type: 'plan.step', data }]);
    }
    for (const [sessionId, events] of bySession) {
      await store.append(after.project, sessionId, events).catch((error: unknown) => logger.warn({ plan: after.id, session: sessionId, err: describeError(error) }, 'could not record plan.step event'));
    }
  }

  /** `plans.update` that announces the steps whose state it changed. */
  async function updateAnnounced(id: string, fn: (record: PlanRecord, save: (r: PlanRecord) => Promise<void>) => Promise<PlanRecord>): Promise<PlanRecord> {
    let before: PlanRecord | undefined;
    const after = await plans.update(id, (record, save) => {
      before = record;
      return fn(record, save);
    });
    if (before) await announce(before, after);
    return after;
  }

  /** What became of a session, as a step state. */
  async function observe(session: Session | undefined, step: PlanStep, run: StepRun): Promise<Pick<StepRun, 'state' | 'reason' | 'pr'>> {
    if (!session) return { state: 'failed', reason: 'its session is gone (it failed to start, or was removed from the queue)' };
    const pr = session.pr ? { pr: session.pr.id } : {};
    if (session.status === 'queued') return { state: 'queued' };
    if (session.pr?.state === 'merged' || session.status === 'merged') return { state: 'merged', ...pr };
    if (session.status === 'done') return { state: 'done', ...pr };
    if (session.status === 'killed' || session.status === 'errored') return { state: 'failed', reason: session.activityDetail ?? session.status, ...pr };
    const startedAt = Date.parse(session.startedAt ?? run.startedAt);
    if (step.timeoutMinutes !== undefined && session.startedAt && clock.now() - startedAt >= step.timeoutMinutes * 60_000) {
      // Killing keeps the workspace and branch: the work is there for a retry or a human.
      await manager.kill(session.id);
      return { state: 'failed', reason: `timed out after ${step.timeoutMinutes} minutes (killed; its work is kept in ${session.workspacePath})`, ...pr };
    }
    if (session.activity === 'exited' && session.pr?.state !== 'open' && (await nothingAhead(session))) {
      return { state: 'done', reason: 'the agent finished without changes to merge', ...pr };
    }
    return { state: 'running', ...pr };
  }

  /** An agent that exited with nothing committed ahead of its base: done (not waiting for a PR). */
  async function nothingAhead(session: Session): Promise<boolean> {
    const project = config.projects[session.project];
    if (!project) return false;
    const workspace: Workspace = await manager.plugins.plugin(project, 'workspace');
    const state = await workspace.state({ path: session.workspacePath, branch: session.branch, baseBranch: session.baseBranch, repoPath: project.path });
    return state.exists && state.ahead === 0 && !state.dirty;
  }

  function aggregate(step: PlanStep, status: StepStatus): StepState {
    const items = step.foreach ? step.foreach.map(String) : [undefined];
    const latest = latestRuns(status);
    const states = items.map((item) => {
      const run = latest.find((r) => r.item === item);
      if (!run) return 'pending';
      if (run.state === 'failed' && status.retryAt[item ?? ''] !== undefined) return 'running';
      return run.state;
    });
    if (states.every(isFinal)) {
      if (states.every((s) => s === 'merged')) return 'merged';
      if (states.every((s) => s === 'merged' || s === 'done')) return 'done';
      return 'failed';
    }
    if (states.includes('running')) return 'running';
    if (states.includes('queued')) return 'queued';
    return states.some(isFinal) ? 'running' : 'pending';
  }

  async function startRun(record: PlanRecord, step: PlanStep, item: string | undefined, attempt: number, sessions: readonly Session[]): Promise<StepRun> {
    const existing = sessions.find((s) => s.plan?.id === record.id && s.plan.step === step.id && s.plan.item === item && (s.plan.attempt ?? 1) === attempt);
    const base = { ...(item !== undefined ? { item } : {}), attempt, context: { ...record.context } };
    if (existing) {
      logger.info({ plan: record.id, step: step.id, session: existing.id }, 'plan step already had its session');
      return { ...base, sessionId: existing.id, state: existing.status === 'queued' ? 'queued' : 'running', startedAt: existing.createdAt };
    }
    const vars = {
      plan: { id: record.id, name: record.name, context: record.context },
      ...(item !== undefined ? { item } : {}),
      steps: Object.fromEntries(record.steps.map((s) => [s.id, { state: s.state, summary: stepSummary(s) }])),
    };
    const prompt = step.prompt !== undefined ? renderTemplate(step.prompt, vars, { name: `step ${step.id} of ${record.file}` }) : undefined;
    const session = await manager.spawn({
      project: record.project,
      ...(step.issue !== undefined ? { issue: String(step.issue) } : {}),
      ...(prompt !== undefined ? { prompt } : {}),
      ...(step.agent ? { agent: step.agent } : {}),
      priority: step.priority ?? record.plan.priority ?? 5,
      queue: 'always',
      plan: { id: record.id, step: step.id, ...(item !== undefined ? { item } : {}), attempt },
    });
    logger.info({ plan: record.id, step: step.id, item, attempt, session: session.id }, 'plan step queued');
    return { ...base, sessionId: session.id, state: 'queued', startedAt: session.createdAt };
  }

  async function advanceRecord(current: PlanRecord, save: (r: PlanRecord) => Promise<void>): Promise<PlanRecord> {
    if (current.state !== 'running') return current;
    let record = current;
    const { sessions } = await manager.list({ refresh: false });
    const byId = new Map(sessions.map((s) => [s.id, s]));
    const stepOf = new Map(record.plan.steps.map((s) => [s.id, s]));
    const now = clock.now();

    // 1. What became of the sessions already started (final runs never change again).
    const steps: StepStatus[] = [];
    for (const status of record.steps) {
      const step = stepOf.get(status.id) as PlanStep;
      if (isFinal(status.state)) {
        steps.push(status);
        continue;
      }
      const runs: StepRun[] = [];
      const retryAt = { ...status.retryAt };
      for (const run of status.runs) {
        if (isFinal(run.state)) {
          runs.push(run);
          continue;
        }
        const seen = await observe(byId.get(run.sessionId), step, run);
        runs.push({ ...run, ...seen });
        if (seen.state === 'failed' && run.attempt <= step.retries) retryAt[run.item ?? ''] = iso(now + retryDelayMs(run.attempt));
      }
      const next: StepStatus = { ...status, runs, retryAt };
      steps.push({ ...next, state: aggregate(step, next) });
    }
    record = { ...record, steps };

    // 2. Steps to start: retries that are due, and pending steps whose dependencies are settled.
    for (const [i, status] of record.steps.entries()) {
      const step = stepOf.get(status.id) as PlanStep;
      if (isFinal(status.state)) continue;
      const toStart: { item: string | undefined; attempt: number }[] = [];
      if (status.state === 'pending') {
        const deps = step.dependsOn.map((d) => record.steps.find((s) => s.id === d) as StepStatus);
        const blocking = deps.find((d) => isFinal(d.state) && !satisfies(step.when, d.state));
        if (blocking) {
          record = withStep(record, i, { ...status, state: 'skipped', reason: `${blocking.id} ended ${blocking.state}, and this step runs when its dependencies are ${step.when}` });
          continue;
        }
        if (!deps.every((d) => isFinal(d.state))) continue;
        for (const item of step.foreach ? step.foreach.map(String) : [undefined]) toStart.push({ item, attempt: 1 });
      } else {
        for (const [key, at] of Object.entries(status.retryAt)) {
          if (Date.parse(at) > now) continue;
          const item = step.foreach ? key : undefined;
          const last = latestRuns(status).find((r) => r.item === item);
          toStart.push({ item, attempt: (last?.attempt ?? 0) + 1 });
        }
      }
      for (const { item, attempt } of toStart) {
        let run: StepRun;
        try {
          run = await startRun(record, step, item, attempt, sessions);
        } catch (error) {
          // Passing conditions (a full queue, a busy lock, a full disk): the next tick tries again.
          if (error instanceof AoError && TRANSIENT.includes(error.code)) throw error;
          record = withStep(record, i, { ...(record.steps[i] as StepStatus), retryAt: {}, state: 'failed', reason: `could not be started: ${describeError(error)}` });
          await save(record);
          break;
        }
        const latest = record.steps[i] as StepStatus;
        const retryAt = { ...latest.retryAt };
        delete retryAt[item ?? ''];
        const updated: StepStatus = { ...latest, runs: [...latest.runs, run], retryAt };
        record = withStep(record, i, { ...updated, state: aggregate(step, updated) });
        record = { ...record, updatedAt: iso() };
        // Saved before the next step starts: a crash from here on loses no started step.
        await save(record);
      }
    }

    if (record.steps.every((s) => isFinal(s.state))) {
      record = { ...record, state: record.steps.some((s) => s.state === 'failed') ? 'failed' : 'done' };
    }
    return { ...record, updatedAt: iso() };
  }

  const runner: PlanRunner = {
    async run(text, file, options = {}) {
      const parsed = parsePlanText(text, file, config, options.cwd);
      if (options.dryRun) return { parsed };
      const now = iso();
      const created = await plans.create({
        name: parsed.plan.name,
        project: parsed.project,
        file,
        state: 'running',
        createdAt: now,
        updatedAt: now,
        context: parsed.plan.context,
        plan: parsed.plan,
        steps: parsed.plan.steps.map((s) => ({ id: s.id, state: 'pending', runs: [], retryAt: {} })),
      });
      return { parsed, record: await runner.advance(created.id) };
    },

    advance: (id) => updateAnnounced(id, advanceRecord),

    async advanceAll() {
      const { plans: all } = await plans.list();
      const errors: { id: string; error: string }[] = [];
      let advanced = 0;
      for (const p of all.filter((x) => x.state === 'running')) {
        try {
          await runner.advance(p.id);
          advanced += 1;
        } catch (error) {
          logger.warn({ plan: p.id, err: describeError(error) }, 'plan advance failed');
          errors.push({ id: p.id, error: describeError(error) });
        }
      }
      return { advanced, errors };
    },

    cancel: (id) =>
      updateAnnounced(id, async (record) => {
        if (record.state !== 'running') throw new AoError('PLAN_STATE', `Plan ${id} is already ${record.state}; nothing to cancel`, { details: { id, state: record.state } });
        const steps: StepStatus[] = [];
        for (const status of record.steps) {
          if (isFinal(status.state)) {
            steps.push(status);
            continue;
          }
          const runs: StepRun[] = [];
          for (const run of status.runs) {
            if (isFinal(run.state)) {
              runs.push(run);
              continue;
            }
            const session = await manager.get(run.sessionId).catch(() => undefined);
            if (session?.status === 'queued') await queue.remove(session.id).catch(() => undefined);
            else if (session && session.runtime && session.activity !== 'exited') await manager.kill(session.id);
            runs.push({ ...run, state: 'cancelled', reason: 'plan cancelled' });
          }
          steps.push({ ...status, runs, retryAt: {}, state: 'cancelled', reason: 'plan cancelled' });
        }
        return { ...record, steps, state: 'cancelled', updatedAt: iso() };
      }),

    setContext: (id, key, value) =>
      plans.update(id, async (record) => {
        if (!/^[A-Za-z_][\w-]*$/.test(key)) throw new AoError('USAGE', `"${key}" is not a context key: use letters, digits, _ and -`, { exitCode: 2 });
        return { ...record, context: { ...record.context, [key]: value }, updatedAt: iso() };
      }),
  };
  return runner;
}

function withStep(record: PlanRecord, index: number, status: StepStatus): PlanRecord {
  const steps = [...record.steps];
  steps[index] = status;
  return { ...record, steps };
}

/** A short table-like view of a step's state for `ao plan show`. */
export function describeStep(status: StepStatus): string {
  const sessions = latestRuns(status).map((r) => `${r.item !== undefined ? `${r.item}:` : ''}${r.sessionId}${r.attempt > 1 ? ` (attempt ${r.attempt})` : ''}`);
  return `${status.state}${sessions.length ? ` ${sessions.join(', ')}` : ''}${status.reason ? ` — ${status.reason}` : ''}`;
}
