import type { PlanRecord, StepRun, StepStatus } from '@ao/core';
import { enc, get, type EventMessage } from '../api.js';
import { age, statusLabel } from '../format.js';
import { debounce, h, replace } from '../dom.js';
import type { Live } from '../live.js';

/**
 * Plans: `#/plans` lists them, `#/plans/<id>` draws one as a graph (steps in columns by depth,
 * arrows from each dependency) with every step's state and sessions. Both re-read the plan store
 * (`/api/plans…`) when a `plan.step` event arrives (the runner appends it after saving the plan)
 * or one of the plan's sessions changes; session states shown come from the live store. No polling.
 */
const TONE: Record<string, string> = {
  pending: 'muted',
  queued: 'info',
  running: 'info',
  merged: 'good',
  done: 'good',
  failed: 'bad',
  skipped: 'muted',
  cancelled: 'warn',
};

const stateBadge = (state: string): HTMLElement => h('span', { class: 'status', 'data-tone': TONE[state] ?? 'muted' }, statusLabel(state));

/** Whether a live event concerns plan `id` (any plan when `id` is undefined). */
function concerns(live: Live, message: EventMessage, id: string | undefined): boolean {
  const { event } = message;
  if (event.type === 'plan.step') return id === undefined || event.data?.plan === id;
  const plan = live.sessions.get(message.sessionId)?.plan ?? (event.set?.plan as { id?: string } | undefined);
  return Boolean(plan && (id === undefined || plan.id === id) && event.set && ('status' in event.set || 'pr' in event.set || 'activity' in event.set));
}

export function mountPlans(root: HTMLElement, live: Live): () => void {
  const body = h('div', {}, h('p', { class: 'muted' }, 'loading…'));
  root.replaceChildren(h('h1', {}, 'Plans'), body, h('p', { class: 'muted small' }, 'Start one with `ao plan run <file>`; see docs/plans.md.'));
  const load = async (): Promise<void> => {
    try {
      const { plans } = await get<{ plans: PlanRecord[] }>('/api/plans');
      if (plans.length === 0) return replace(body, h('p', { class: 'card muted' }, 'No plans yet.'));
      const count = (p: PlanRecord, states: string[]): number => p.steps.filter((s) => states.includes(s.state)).length;
      replace(
        body,
        h(
          'table',
          { class: 'plans' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Plan'), h('th', {}, 'State'), h('th', {}, 'Steps'), h('th', {}, 'Project'), h('th', {}, 'Updated'))),
          h(
            'tbody',
            {},
            ...plans.map((p) =>
              h(
                'tr',
                { 'data-plan': p.id },
                h('td', {}, h('a', { href: `#/plans/${enc(p.id)}` }, p.id)),
                h('td', {}, stateBadge(p.state)),
                h('td', {}, `${count(p, ['merged', 'done'])}/${p.steps.length} finished${count(p, ['failed']) ? `, ${count(p, ['failed'])} failed` : ''}`),
                h('td', {}, p.project),
                h('td', {}, age(p.updatedAt)),
              ),
            ),
          ),
        ),
      );
    } catch (error) {
      replace(body, h('p', { class: 'card muted' }, (error as Error).message));
    }
  };
  const soon = debounce(() => void load(), 150);
  void load();
  const off = live.onEvent((m) => {
    if (concerns(live, m, undefined)) soon();
  });
  const offReset = live.onReset(soon);
  return () => {
    off();
    offReset();
    soon.cancel();
  };
}

/** Column of each step: 0 without dependencies, else one more than its deepest dependency. */
export function depths(steps: readonly { id: string; dependsOn: readonly string[] }[]): Map<string, number> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const depth = new Map<string, number>();
  const of = (id: string, seen: Set<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0; // validated plans have no cycles; never loop on a damaged file
    seen.add(id);
    const d = Math.max(-1, ...(byId.get(id)?.dependsOn ?? []).map((dep) => of(dep, seen))) + 1;
    depth.set(id, d);
    return d;
  };
  for (const s of steps) of(s.id, new Set());
  return depth;
}

/** The latest run of each item (what the step shows). */
function latestRuns(status: StepStatus): StepRun[] {
  const byItem = new Map<string, StepRun>();
  for (const r of status.runs) if ((byItem.get(r.item ?? '')?.attempt ?? 0) < r.attempt) byItem.set(r.item ?? '', r);
  return [...byItem.values()];
}

export function mountPlan(root: HTMLElement, live: Live, id: string): () => void {
  const header = h('div', { class: 'title-row' }, h('h1', {}, `Plan ${id}`));
  const meta = h('p', { class: 'muted' }, 'loading…');
  const graph = h('div', { class: 'plan-graph', role: 'group', 'aria-label': 'steps of the plan' });
  root.replaceChildren(h('p', {}, h('a', { href: '#/plans' }, '← Plans')), header, meta, graph);
  let record: PlanRecord | undefined;
  let sessionIds = new Set<string>();

  const sessionLink = (run: StepRun): HTMLElement => {
    const s = live.sessions.get(run.sessionId);
    return h(
      'li',
      {},
      h('a', { href: `#/s/${enc(run.sessionId)}`, 'data-session': run.sessionId }, run.sessionId),
      run.item !== undefined ? ` ${run.item}` : '',
      run.attempt > 1 ? ` (attempt ${run.attempt})` : '',
      s ? h('span', { class: 'muted small' }, ` · ${statusLabel(s.status)}`) : '',
    );
  };

  const render = (): void => {
    if (!record) return;
    const plan = record;
    replace(
      meta,
      stateBadge(plan.state),
      ` ${plan.name} · project ${plan.project} · ${plan.steps.length} steps · updated ${age(plan.updatedAt)} ago`,
      Object.keys(plan.context).length ? h('span', { class: 'small' }, ` · context ${Object.entries(plan.context).map(([k, v]) => `${k}=${String(v)}`).join(', ')}`) : '',
    );
    header.dataset.state = plan.state;
    const depth = depths(plan.plan.steps);
    const columns: HTMLElement[] = [];
    for (const step of plan.plan.steps) {
      const d = depth.get(step.id) ?? 0;
      const status = plan.steps.find((s) => s.id === step.id);
      const state = status?.state ?? 'pending';
      const runs = status ? latestRuns(status) : [];
      const column = (columns[d] ??= h('div', { class: 'plan-column', 'data-depth': d }));
      column.append(
        h(
          'section',
          { class: 'card plan-step', 'data-step': step.id, 'data-state': state, 'data-tone': TONE[state] ?? 'muted', 'aria-label': `step ${step.id}: ${state}` },
          h('h2', {}, step.id, ' ', stateBadge(state)),
          step.dependsOn.length ? h('p', { class: 'muted small' }, `after ${step.dependsOn.join(', ')}${step.when !== 'merged' ? ` (${step.when})` : ''}`) : '',
          step.foreach ? h('p', { class: 'muted small' }, `for each of ${step.foreach.join(', ')}`) : '',
          runs.length ? h('ul', { class: 'plan-runs' }, ...runs.map(sessionLink)) : '',
          status?.reason ? h('p', { class: 'small' }, status.reason) : '',
        ),
      );
    }
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('class', 'plan-edges');
    svg.setAttribute('aria-hidden', 'true');
    replace(graph, svg, ...columns.filter(Boolean));
    drawEdges(svg);
    sessionIds = new Set(plan.steps.flatMap((s) => s.runs.map((r) => r.sessionId)));
  };

  /** Arrows from each dependency's right edge to the step's left edge, after layout. */
  const drawEdges = (svg: SVGSVGElement): void => {
    if (!record) return;
    const box = graph.getBoundingClientRect();
    svg.setAttribute('width', String(graph.scrollWidth));
    svg.setAttribute('height', String(graph.scrollHeight));
    const rect = (stepId: string): DOMRect | undefined => graph.querySelector(`[data-step="${CSS.escape(stepId)}"]`)?.getBoundingClientRect();
    svg.replaceChildren();
    for (const step of record.plan.steps) {
      const to = rect(step.id);
      for (const dep of step.dependsOn) {
        const from = rect(dep);
        if (!from || !to) continue;
        const x1 = from.right - box.left + graph.scrollLeft;
        const y1 = from.top + from.height / 2 - box.top + graph.scrollTop;
        const x2 = to.left - box.left + graph.scrollLeft;
        const y2 = to.top + to.height / 2 - box.top + graph.scrollTop;
        const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
        const mid = (x1 + x2) / 2;
        path.setAttribute('d', `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2 - 4},${y2}`);
        path.setAttribute('data-edge', `${dep}->${step.id}`);
        svg.append(path);
      }
    }
  };

  const load = async (): Promise<void> => {
    try {
      record = await get<PlanRecord>(`/api/plans/${enc(id)}`);
      render();
    } catch (error) {
      replace(meta, (error as Error).message);
    }
  };
  const soon = debounce(() => void load(), 100);
  void load();
  const offEvent = live.onEvent((m) => {
    if (concerns(live, m, id)) soon();
  });
  // A session's own status (shown beside its id) changes without the plan changing.
  const offSession = live.onSession((sessionId) => {
    if (sessionIds.has(sessionId)) render();
  });
  const offReset = live.onReset(soon);
  const onResize = (): void => {
    const svg = graph.querySelector('svg');
    if (svg) drawEdges(svg as SVGSVGElement);
  };
  window.addEventListener('resize', onResize);
  return () => {
    offEvent();
    offSession();
    offReset();
    soon.cancel();
    window.removeEventListener('resize', onResize);
  };
}
