import type { ResolvedConfig } from '../config/resolve.js';
import { formatPath } from '../config/issues.js';
import { parseYamlSource, where, zodToAoError } from '../config/load.js';
import { pickProject } from '../config/resolve.js';
import { AoError } from '../errors.js';
import { listTemplateVariables } from '../templates.js';
import { PlanFileSchema, type PlanFile } from './schema.js';

export interface ParsedPlan {
  plan: PlanFile;
  project: string;
  /** Step ids in an order where every step comes after its dependencies. */
  order: string[];
}

/**
 * Parses and validates a plan file before anything starts. Every error names `file:line:col`:
 * YAML syntax, the schema, a duplicate step id, an unknown `dependsOn`, a cycle (named, e.g.
 * `api -> tests -> api`), more than `plans.maxSteps` steps, an unknown agent or project.
 */
export function parsePlanText(text: string, file: string, config: ResolvedConfig, cwd?: string): ParsedPlan {
  const source = parseYamlSource(text, file, 'PLAN_INVALID');
  const raw: unknown = source.doc.toJS() ?? {};
  const parsed = PlanFileSchema.safeParse(raw);
  if (!parsed.success) throw zodToAoError('PLAN_INVALID', parsed.error, { file, source, input: raw, schema: PlanFileSchema, title: `Invalid plan ${file}` });
  const plan = parsed.data;
  const at = (...path: (string | number)[]): string => where(source, file, path);
  const fail = (path: (string | number)[], message: string): never => {
    throw new AoError('PLAN_INVALID', `Invalid plan ${at(...path)}${path.length ? ` ${formatPath(path)}` : ''}: ${message}`, { details: { file, path: formatPath(path) } });
  };

  if (plan.steps.length > config.plans.maxSteps) {
    fail(['steps'], `${plan.steps.length} steps, and plans.maxSteps is ${config.plans.maxSteps} (${config.file}): split the plan, or raise the limit`);
  }
  let project: string;
  try {
    project = pickProject(config, plan.project, cwd).name;
  } catch (error) {
    return fail(plan.project ? ['project'] : [], (error as Error).message);
  }
  const index = new Map<string, number>();
  plan.steps.forEach((step, i) => {
    const first = index.get(step.id);
    if (first !== undefined) fail(['steps', i, 'id'], `duplicate step id "${step.id}" (first at ${at('steps', first, 'id')})`);
    index.set(step.id, i);
  });
  plan.steps.forEach((step, i) => {
    step.dependsOn.forEach((dep, j) => {
      if (!index.has(dep)) fail(['steps', i, 'dependsOn', j], `unknown step "${dep}" in dependsOn (steps: ${[...index.keys()].join(', ')})`);
      if (dep === step.id) fail(['steps', i, 'dependsOn', j], `step "${step.id}" depends on itself`);
    });
    if (step.prompt !== undefined) {
      for (const v of listTemplateVariables(step.prompt, { name: `${file} steps[${i}].prompt` })) {
        const [root, a, b] = v.split('.');
        const known =
          (root === 'plan' && (a === 'id' || a === 'name' || (a === 'context' && b !== undefined))) ||
          (root === 'item' && step.foreach !== undefined && a === undefined) ||
          (root === 'steps' && a !== undefined && index.has(a) && (b === 'summary' || b === 'state'));
        if (!known) {
          fail(['steps', i, 'prompt'], `uses {{${v}}}, which is not available (available: plan.id, plan.name, plan.context.<key>, steps.<id>.summary, steps.<id>.state${step.foreach ? ', item' : ''})`);
        }
      }
    }
    if (step.agent !== undefined && !Object.hasOwn(config.agents, step.agent)) {
      fail(['steps', i, 'agent'], `unknown agent "${step.agent}" (available: ${Object.keys(config.agents).join(', ')}; define your own under agents: in ${config.file})`);
    }
  });
  return { plan, project, order: topologicalOrder(plan, (cycle) => fail(['steps', index.get(cycle[0] as string) as number, 'dependsOn'], `steps form a cycle: ${cycle.join(' -> ')}`)) };
}

/** Depth-first order, dependencies first; on a cycle, `onCycle` gets it as a closed path (`a -> b -> a`). */
function topologicalOrder(plan: PlanFile, onCycle: (cycle: string[]) => never): string[] {
  const deps = new Map(plan.steps.map((s) => [s.id, s.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  const stack: string[] = [];
  const visit = (id: string): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') onCycle([...stack.slice(stack.indexOf(id)), id]);
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of deps.get(id) ?? []) visit(dep);
    stack.pop();
    state.set(id, 'done');
    order.push(id);
  };
  for (const step of plan.steps) visit(step.id);
  return order;
}
