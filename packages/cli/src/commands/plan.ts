import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  AoError,
  createFileLogger,
  createPlanRunner,
  createPlanStore,
  createTriggerRunner,
  describeStep,
  readDaemonInfo,
  systemClock,
  type PlanRecord,
  type PlanRunner,
  type PlanStore,
  type SpawnQueue,
  type TriggerRunner,
} from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { notifyDaemon } from '@ao/daemon/client';
import { color, print, printErr, table } from '../render.js';
import { age, type SessionCli } from '../sessions.js';
import { loadQueue } from './queue.js';

/** The queue, the plan runner and the triggers over the SessionManager: for `ao plan`, `ao trigger` and `ao lifecycle poll`. */
export async function loadPlans(globals: GlobalOptions, cli?: SessionCli): Promise<SessionCli & { queue: SpawnQueue; runner: PlanRunner; plans: PlanStore; triggers: TriggerRunner }> {
  const loaded = await loadQueue(globals, cli);
  const plans = createPlanStore(loaded.paths);
  const logger = createFileLogger(loaded.paths.logs).child({ cmd: process.argv[2] });
  const base = { config: loaded.config, manager: loaded.manager, queue: loaded.queue, store: loaded.store, clock: systemClock };
  return {
    ...loaded,
    plans,
    runner: createPlanRunner({ ...base, plans, logger: logger.child({ component: 'plans' }) }),
    triggers: createTriggerRunner({ ...base, paths: loaded.paths, logger: logger.child({ component: 'triggers' }) }),
  };
}

/** `ao plan run <file> [--dry-run] [--json]`: validates, stores the plan and queues its first steps; prints the plan id. */
export async function run([file, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { dryRun?: boolean; json?: boolean };
  const path = resolve(String(file));
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw new AoError('PLAN_NOT_FOUND', `Cannot read plan file ${path}: ${(error as Error).message}`, { exitCode: 2 });
  });
  const { runner, paths } = await loadPlans(globals);
  const { parsed, record } = await runner.run(text, path, { cwd: process.cwd(), dryRun: Boolean(flags.dryRun) });
  if (!record) {
    if (flags.json) print(JSON.stringify({ valid: true, name: parsed.plan.name, project: parsed.project, order: parsed.order }, null, 2));
    else print(`${path}: valid; ${parsed.plan.steps.length} step(s) in project ${parsed.project}, in order: ${parsed.order.join(', ')}`);
    return 0;
  }
  await notifyDaemon(paths, `plan ${record.id}`);
  if (flags.json) print(JSON.stringify(record, null, 2));
  else print(record.id);
  if (!readDaemonInfo(paths)) printErr('The plan queued its first steps; the ao daemon admits queued work and advances plans, and it is not running: start it with `ao start`.');
  return 0;
}

/** `ao plan ls [--json]`. */
export async function list([opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { json?: boolean };
  const { plans } = await loadPlans(globals);
  const { plans: all, problems } = await plans.list();
  for (const p of problems) printErr(`ao: skipped ${p.path}: ${p.reason}`);
  if (flags.json) {
    print(JSON.stringify(all, null, 2));
    return 0;
  }
  if (all.length === 0) {
    print('No plans. Start one with `ao plan run <file>` (see docs/plans.md).');
    return 0;
  }
  const now = Date.now();
  print(table(['ID', 'STATE', 'STEPS', 'AGE', 'NAME'], all.map((p) => [p.id, paint(p.state), counts(p), age(p.createdAt, now), p.name])));
  return 0;
}

/** `ao plan show <id> [--json] [--context]`: each step's state and sessions; with --context, what each start saw. */
export async function show([id, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { json?: boolean; context?: boolean };
  const { plans } = await loadPlans(globals);
  const record = await plans.get(String(id));
  if (flags.json) {
    print(JSON.stringify(record, null, 2));
    return 0;
  }
  print(`${record.id} ${paint(record.state)}  ${record.name} (project ${record.project}, ${record.file})`);
  const deps = new Map(record.plan.steps.map((s) => [s.id, s]));
  print(
    table(
      ['STEP', 'AFTER', 'STATE'],
      record.steps.map((s) => {
        const step = deps.get(s.id);
        const after = step?.dependsOn.length ? `${step.dependsOn.join(', ')}${step.when !== 'merged' ? ` (${step.when})` : ''}` : '-';
        return [s.id, after, describeStep(s)];
      }),
    ),
  );
  if (flags.context) {
    print(`context now: ${JSON.stringify(record.context)}`);
    for (const s of record.steps) for (const r of s.runs) print(`  ${s.id}${r.item !== undefined ? `[${r.item}]` : ''} attempt ${r.attempt} (${r.sessionId}, ${r.startedAt}) saw ${JSON.stringify(r.context)}`);
  }
  return 0;
}

/** `ao plan cancel <id>`. */
export async function cancel([id]: unknown[], globals: GlobalOptions): Promise<number> {
  const { runner, paths } = await loadPlans(globals);
  const record = await runner.cancel(String(id));
  await notifyDaemon(paths, `plan cancel ${record.id}`);
  print(`cancelled ${record.id}: ${counts(record)}`);
  return 0;
}

/** `ao plan ctx set <plan> <key> <value>`: later steps see it; steps already started keep their snapshot. */
export async function ctxSet([id, key, value]: unknown[], globals: GlobalOptions): Promise<number> {
  const { runner } = await loadPlans(globals);
  const record = await runner.setContext(String(id), String(key), String(value));
  print(`${record.id} context: ${JSON.stringify(record.context)}`);
  return 0;
}

function counts(p: PlanRecord): string {
  const by = new Map<string, number>();
  for (const s of p.steps) by.set(s.state, (by.get(s.state) ?? 0) + 1);
  return [...by].map(([state, n]) => `${n} ${state}`).join(', ');
}

function paint(state: PlanRecord['state']): string {
  if (state === 'done') return color.green(state);
  if (state === 'failed') return color.red(state);
  if (state === 'cancelled') return color.dim(state);
  return color.yellow(state);
}
