import type { GlobalOptions } from '../context.js';
import { notifyDaemon } from '@ao/daemon/client';
import { color, print, table } from '../render.js';
import { loadPlans } from './plan.js';

/** `ao trigger ls [--json]`: every trigger of the config with its next run and last outcome. */
export async function list([opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { json?: boolean };
  const { triggers } = await loadPlans(globals);
  const views = await triggers.list();
  if (flags.json) {
    print(JSON.stringify(views, null, 2));
    return 0;
  }
  if (views.length === 0) {
    print('No triggers: add some under triggers: in the config (see docs/plans.md).');
    return 0;
  }
  print(
    table(
      ['ID', 'WHEN', 'POLICY', 'NEXT RUN', 'LAST FIRED', 'LAST OUTCOME'],
      views.map((v) => [v.id, v.when, v.policy, v.error ? color.red(v.error) : (v.nextRun ?? '-'), v.lastFiredAt ?? '-', v.lastOutcome ?? '-']),
    ),
  );
  return 0;
}

/** `ao trigger run <id>`: fires it now (its work is queued like any firing's). */
export async function run([id]: unknown[], globals: GlobalOptions): Promise<number> {
  const { triggers, paths } = await loadPlans(globals);
  const firings = await triggers.run(String(id));
  await notifyDaemon(paths, `trigger ${String(id)}`);
  for (const f of firings) print(`${f.trigger}: ${f.outcome}`);
  return 0;
}
