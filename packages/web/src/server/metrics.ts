import { costOfUsage, type Pricing, type Session, type SessionEvent, type SessionStore } from '@ao/core';

/** p50/p95/p99 of a set of durations (ms); null fields when there is no sample yet. */
export interface Summary {
  count: number;
  sum: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** `GET /api/metrics`: computed from the session store (snapshots and event logs), never kept apart. */
export interface DashboardMetrics {
  at: string;
  sessions: { total: number; byStatus: Record<string, number> };
  /** Workspace + runtime up, per session (`spawnMs` of `session.spawned`). */
  spawnMs: Summary;
  /** From `session.created` to the first event that gives the session a PR. */
  timeToPrMs: Summary;
  /** Times a session went to `ci_failed`, over sessions that ever had a PR. */
  ciFixLoops: Summary;
  /** Tokens and cost from the agents' own logs, per project, agent and model, over the sessions in the store. */
  usage: UsageRow[];
  /** Every token and its cost per session, per issue (`project#issue`) and per plan. */
  cost: { bySession: Record<string, CostCell>; byIssue: Record<string, CostCell>; byPlan: Record<string, CostCell> };
}

/** Tokens of every kind and their US dollars (null when no model of them has a price). */
export interface CostCell {
  tokens: number;
  costUsd: number | null;
}

/** Cost cells per session, issue and plan, priced with `pricing`. */
export function costCells(sessions: readonly Session[], pricing: Pricing = {}): DashboardMetrics['cost'] {
  const out: DashboardMetrics['cost'] = { bySession: {}, byIssue: {}, byPlan: {} };
  const add = (map: Record<string, CostCell>, key: string, cell: CostCell): void => {
    const c = map[key] ?? { tokens: 0, costUsd: null };
    map[key] = { tokens: c.tokens + cell.tokens, costUsd: cell.costUsd === null ? c.costUsd : (c.costUsd ?? 0) + cell.costUsd };
  };
  for (const s of sessions) {
    if (!s.usage) continue;
    const cell = { tokens: s.usage.input + s.usage.output + s.usage.cacheRead + s.usage.cacheWrite, costUsd: costOfUsage(s.usage, pricing).usd };
    out.bySession[s.id] = cell;
    if (s.issue !== null) add(out.byIssue, `${s.project}#${s.issue}`, cell);
    if (s.plan) add(out.byPlan, s.plan.id, cell);
  }
  return out;
}

export interface UsageRow {
  project: string;
  agent: string;
  model: string;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  /** US dollars at the current prices; null when the model has no price (see `pricing:`). */
  costUsd: number | null;
}

/** Sums the sessions' usage per project, agent and model, each model priced with `pricing`. */
export function usageRows(sessions: readonly Session[], pricing: Pricing = {}): UsageRow[] {
  const rows = new Map<string, UsageRow>();
  for (const s of sessions) {
    for (const [model, t] of Object.entries(s.usage?.byModel ?? {})) {
      const key = JSON.stringify([s.project, s.agent, model]);
      const row = rows.get(key) ?? { project: s.project, agent: s.agent, model, input: 0, output: 0, cacheRead: 0, cacheWrite: 0, costUsd: null };
      row.input += t.input;
      row.output += t.output;
      row.cacheRead += t.cacheRead;
      row.cacheWrite += t.cacheWrite;
      const usd = costOfUsage({ ...t, byModel: { [model]: t }, updatedAt: '' }, pricing).usd;
      if (usd !== null) row.costUsd = (row.costUsd ?? 0) + usd;
      rows.set(key, row);
    }
  }
  return [...rows.values()];
}

/** Nearest-rank percentile of a sorted array. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? null;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    sum: sorted.reduce((a, b) => a + b, 0),
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
  };
}

interface PerSession {
  timeToPrMs: number | null;
  ciFailures: number;
  hadPr: boolean;
}

/** What one session's log says; pure, so the cache below can keep it per snapshot version. */
export function foldSessionMetrics(session: Session, events: readonly SessionEvent[]): PerSession {
  const created = Date.parse(session.createdAt);
  let timeToPrMs: number | null = null;
  let ciFailures = 0;
  for (const event of events) {
    const set = event.set ?? {};
    if (timeToPrMs === null && (set.pr || set.status === 'pr_open')) timeToPrMs = Math.max(0, Date.parse(event.ts) - created);
    if (set.status === 'ci_failed') ciFailures += 1;
  }
  return { timeToPrMs, ciFailures, hadPr: timeToPrMs !== null || session.pr !== null };
}

/**
 * Metrics over every session in the store. Event logs are read only for sessions whose snapshot
 * changed since the last call (keyed by `updatedAt`), so scraping `/metrics` often stays cheap.
 */
export function createMetrics(store: SessionStore, options: { pricing?: Pricing } = {}): { compute(): Promise<DashboardMetrics> } {
  const cache = new Map<string, { version: string; value: PerSession }>();
  return {
    async compute() {
      const { sessions } = await store.list();
      const byStatus: Record<string, number> = {};
      const spawn: number[] = [];
      const toPr: number[] = [];
      const loops: number[] = [];
      const seen = new Set<string>();
      for (const s of sessions) {
        byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
        if (typeof s.spawnMs === 'number') spawn.push(s.spawnMs);
        const key = `${s.project}/${s.id}`;
        seen.add(key);
        let entry = cache.get(key);
        if (!entry || entry.version !== s.updatedAt) {
          const events = await store.events(s.project, s.id).catch(() => []);
          entry = { version: s.updatedAt, value: foldSessionMetrics(s, events) };
          cache.set(key, entry);
        }
        if (entry.value.timeToPrMs !== null) toPr.push(entry.value.timeToPrMs);
        if (entry.value.hadPr) loops.push(entry.value.ciFailures);
      }
      for (const key of cache.keys()) if (!seen.has(key)) cache.delete(key);
      return {
        at: new Date().toISOString(),
        sessions: { total: sessions.length, byStatus },
        spawnMs: summarize(spawn),
        timeToPrMs: summarize(toPr),
        ciFixLoops: summarize(loops),
        usage: usageRows(sessions, options.pricing),
        cost: costCells(sessions, options.pricing),
      };
    },
  };
}

/** The Prometheus text exposition (version 0.0.4) of the same figures, in seconds. */
export function prometheusText(m: DashboardMetrics, statuses: readonly string[]): string {
  const lines: string[] = [];
  lines.push('# HELP ao_sessions Sessions in the store by status.', '# TYPE ao_sessions gauge');
  for (const status of new Set([...statuses, ...Object.keys(m.sessions.byStatus)])) {
    lines.push(`ao_sessions{status="${status}"} ${m.sessions.byStatus[status] ?? 0}`);
  }
  const summary = (name: string, help: string, s: Summary, scale: number): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} summary`);
    for (const [q, v] of [['0.5', s.p50], ['0.95', s.p95], ['0.99', s.p99]] as const) {
      lines.push(`${name}{quantile="${q}"} ${v === null ? 'NaN' : String(v / scale)}`);
    }
    lines.push(`${name}_sum ${s.sum / scale}`, `${name}_count ${s.count}`);
  };
  summary('ao_spawn_latency_seconds', 'Time to create the workspace and start the runtime of a session.', m.spawnMs, 1000);
  summary('ao_time_to_pr_seconds', 'Time from session creation to its pull request.', m.timeToPrMs, 1000);
  summary('ao_ci_fix_loops', 'Times a session with a PR went to ci_failed.', m.ciFixLoops, 1);
  const label = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  lines.push('# HELP ao_tokens_total Tokens recorded in the agents\' own logs, by project, agent, model and kind (input, output, cache_read, cache_write).', '# TYPE ao_tokens_total counter');
  for (const r of m.usage) {
    const base = `project="${label(r.project)}",agent="${label(r.agent)}",model="${label(r.model)}"`;
    for (const [kind, n] of [['input', r.input], ['output', r.output], ['cache_read', r.cacheRead], ['cache_write', r.cacheWrite]] as const) lines.push(`ao_tokens_total{${base},kind="${kind}"} ${n}`);
  }
  lines.push('# HELP ao_cost_usd_total US dollars of those tokens at the configured prices (models without a price are left out).', '# TYPE ao_cost_usd_total counter');
  for (const r of m.usage) if (r.costUsd !== null) lines.push(`ao_cost_usd_total{project="${label(r.project)}",agent="${label(r.agent)}",model="${label(r.model)}"} ${r.costUsd}`);
  return `${lines.join('\n')}\n`;
}
