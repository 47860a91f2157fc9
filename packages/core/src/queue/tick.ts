import { describeError } from '../errors.js';
import type { PlanRunner } from '../plans/runner.js';
import type { TriggerFiring, TriggerRunner } from '../triggers/runner.js';
import type { AdmitResult, SpawnQueue } from './queue.js';

/** What one work tick did: triggers fired, plans advanced, queued work admitted. */
export interface WorkTick {
  firings: TriggerFiring[];
  admitted: AdmitResult;
  errors: string[];
}

/**
 * The daemon's work after each lifecycle poll, in order: triggers add work to the queue, plans
 * queue the steps whose dependencies finished, then admission starts what the limits allow — so
 * work added in a tick can start in that same tick. `ao lifecycle poll` runs the same.
 */
export async function workTick(parts: { triggers: TriggerRunner; plans: PlanRunner; queue: SpawnQueue }): Promise<WorkTick> {
  const errors: string[] = [];
  const firings = await parts.triggers.tick().catch((error: unknown) => {
    errors.push(`triggers: ${describeError(error)}`);
    return [];
  });
  const advanced = await parts.plans.advanceAll().catch((error: unknown) => ({ advanced: 0, errors: [{ id: '*', error: describeError(error) }] }));
  for (const e of advanced.errors) errors.push(`plan ${e.id}: ${e.error}`);
  const admitted = await parts.queue.admit();
  return { firings, admitted, errors };
}
