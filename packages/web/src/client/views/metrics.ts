import { get } from '../api.js';
import { debounce, h, replace } from '../dom.js';
import { ms, statusLabel, tokens, usd } from '../format.js';
import type { Live } from '../live.js';

interface Summary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}
interface Metrics {
  at: string;
  sessions: { total: number; byStatus: Record<string, number> };
  spawnMs: Summary;
  timeToPrMs: Summary;
  ciFixLoops: Summary;
  usage: { project: string; agent: string; model: string; input: number; output: number; cacheRead: number; cacheWrite: number; costUsd: number | null }[];
  cost: { bySession: Record<string, Cell>; byIssue: Record<string, Cell>; byPlan: Record<string, Cell> };
}
interface Cell {
  tokens: number;
  costUsd: number | null;
}

/** Tokens by agent and model, from the agents' own logs, with their cost at the configured prices. */
function usageTable(m: Metrics): HTMLElement {
  const rows = m.usage.map((r) => h('tr', {}, ...[`${r.agent} · ${r.model || '?'}`, tokens(r.input), tokens(r.output), tokens(r.cacheRead), tokens(r.cacheWrite), usd(r.costUsd)].map((c) => h('td', {}, c))));
  return h(
    'section',
    { class: 'card stat wide', 'aria-label': 'Tokens' },
    h('h2', {}, 'Tokens'),
    rows.length
      ? h('table', {}, h('thead', {}, h('tr', {}, ...['agent · model', 'input', 'output', 'cache read', 'cache write', 'cost'].map((c) => h('th', {}, c)))), h('tbody', {}, ...rows))
      : h('p', { class: 'muted' }, 'No tokens recorded yet.'),
  );
}

function cellTable(title: string, cells: Record<string, Cell>): HTMLElement {
  const entries = Object.entries(cells).sort((a, b) => (b[1].costUsd ?? 0) - (a[1].costUsd ?? 0) || b[1].tokens - a[1].tokens);
  return h(
    'section',
    { class: 'card stat', 'aria-label': title },
    h('h2', {}, title),
    entries.length ? h('dl', {}, ...entries.map(([k, c]) => h('div', {}, h('dt', {}, k), h('dd', {}, `${usd(c.costUsd)} · ${tokens(c.tokens)} tokens`)))) : h('p', { class: 'muted' }, 'None yet.'),
  );
}

/** Figures from `/api/metrics` (the same as `/metrics` for Prometheus), re-read after status changes. */
export function mountMetrics(root: HTMLElement, live: Live): () => void {
  const body = h('div', { class: 'metrics' }, h('p', { class: 'muted' }, 'loading…'));
  const refresh = h('button', { type: 'button', class: 'small' }, 'Refresh');
  root.replaceChildren(h('div', { class: 'title-row' }, h('h1', {}, 'Metrics'), refresh), body, h('p', { class: 'muted small' }, 'Prometheus: GET /metrics with the token (Authorization: Bearer …).'));

  const summary = (title: string, s: Summary, fmt: (v: number | null) => string): HTMLElement =>
    h('section', { class: 'card stat' }, h('h2', {}, title), h('dl', {}, ...(['p50', 'p95', 'p99'] as const).map((q) => h('div', {}, h('dt', {}, q), h('dd', {}, fmt(s[q]))))), h('p', { class: 'muted small' }, `${s.count} sample(s)`));

  const load = async (): Promise<void> => {
    try {
      const m = await get<Metrics>('/api/metrics');
      const statuses = Object.entries(m.sessions.byStatus).sort((a, b) => b[1] - a[1]);
      replace(
        body,
        h('section', { class: 'card stat' }, h('h2', {}, `Sessions: ${m.sessions.total}`), h('dl', {}, ...statuses.map(([k, v]) => h('div', {}, h('dt', {}, statusLabel(k)), h('dd', {}, String(v)))))),
        summary('Spawn latency', m.spawnMs, ms),
        summary('Time to PR', m.timeToPrMs, ms),
        summary('CI fix loops per PR', m.ciFixLoops, (v) => (v === null ? '–' : String(v))),
        usageTable(m),
        cellTable('Cost per issue', m.cost.byIssue),
        cellTable('Cost per plan', m.cost.byPlan),
        cellTable('Cost per session', m.cost.bySession),
      );
    } catch (error) {
      replace(body, h('p', { class: 'muted' }, (error as Error).message));
    }
  };
  const soon = debounce(() => void load(), 2000);
  refresh.addEventListener('click', () => void load());
  void load();
  const off = live.onEvent((m) => {
    if (m.event.set && ('status' in m.event.set || 'pr' in m.event.set || 'spawnMs' in m.event.set || 'usage' in m.event.set)) soon();
  });
  return () => {
    off();
    soon.cancel();
  };
}
