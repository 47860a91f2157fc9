import type { Session, SessionEvent, SessionStore } from '@ao/core';

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
export function createMetrics(store: SessionStore): { compute(): Promise<DashboardMetrics> } {
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
  return `${lines.join('\n')}\n`;
}
