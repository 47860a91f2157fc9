/**
 * `ao cost [--since <duration|date>] [--json]`: tokens and dollars per session, per issue, per plan
 * and in total, from the usage the agents' own logs record (see docs/sessions.md). Live sessions'
 * logs are read first, so the figures are current without the daemon. `--since` counts only what
 * was used after that moment, from the `usage.updated` events before it.
 */
import {
  AoError,
  addTokens,
  costOfUsage,
  refreshUsage,
  systemClock,
  TERMINAL_STATUSES,
  usageSince,
  ZERO_TOKENS,
  type Agent,
  type Session,
  type SessionUsage,
  type TokenCounts,
  type UsageCost,
} from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { color, print, table } from '../render.js';
import { loadSessions } from '../sessions.js';
import { formatTokens, formatUsd } from '../usage-format.js';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30m`, `24h`, `7d`, `2w`, or a date/time `Date.parse` reads (`2026-12-01`). */
export function parseSince(value: string, now: number): number {
  const m = /^(\d+)\s*([mhdw])$/.exec(value.trim());
  if (m) return now - Number(m[1]) * (UNITS[m[2] as string] as number);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new AoError('USAGE', `--since ${JSON.stringify(value)}: expected a duration (30m, 24h, 7d, 2w) or a date (2026-12-01)`, { exitCode: 2 });
  return t;
}

interface Row {
  tokens: TokenCounts;
  cost: UsageCost;
}

interface SessionRow extends Row {
  id: string;
  project: string;
  issue: string | null;
  plan: string | null;
  agent: string;
  models: string[];
}

/** Sums rows: tokens add; dollars add where known, and `unpriced` collects every model without a price. */
function sum(rows: readonly Row[]): Row {
  let tokens = ZERO_TOKENS;
  let usd: number | null = null;
  const unpriced = new Set<string>();
  for (const r of rows) {
    tokens = addTokens(tokens, r.tokens);
    if (r.cost.usd !== null) usd = (usd ?? 0) + r.cost.usd;
    for (const m of r.cost.unpriced) unpriced.add(m);
  }
  return { tokens, cost: { usd, unpriced: [...unpriced], source: usd === null ? null : 'table' } };
}

function group(rows: readonly SessionRow[], key: (r: SessionRow) => string | null): { key: string; sessions: string[]; tokens: TokenCounts; cost: UsageCost }[] {
  const groups = new Map<string, SessionRow[]>();
  for (const r of rows) {
    const k = key(r);
    if (k !== null) groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups].map(([k, rs]) => ({ key: k, sessions: rs.map((r) => r.id), ...sum(rs) }));
}

export async function run([opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { since?: string; json?: boolean; project?: string };
  const { manager, plugins, store, config } = await loadSessions(globals);
  const now = systemClock.now();
  const since = flags.since !== undefined ? parseSince(flags.since, now) : undefined;
  const { sessions } = await manager.list(flags.project ? { project: flags.project } : {});

  // Read the live sessions' logs now: without a daemon, nobody else has.
  const current = await Promise.all(
    sessions.map(async (s): Promise<Session> => {
      const sel = config.agents[s.agent];
      const project = config.projects[s.project];
      if (!sel || !project || !s.runtime || s.activity === 'exited' || TERMINAL_STATUSES.includes(s.status)) return s;
      const agent: Agent = await plugins.plugin(project, 'agent', sel);
      return (await refreshUsage(agent, s, store, now).catch(() => undefined)) ?? s;
    }),
  );

  const rows: SessionRow[] = [];
  for (const s of current) {
    if (!s.usage) continue;
    let usage: SessionUsage = s.usage;
    if (since !== undefined) {
      if (Date.parse(s.usage.updatedAt) < since) continue;
      usage = usageSince(s.usage, await baselineAt(store, s, since));
    }
    rows.push({
      id: s.id,
      project: s.project,
      issue: s.issue,
      plan: s.plan ? s.plan.id : null,
      agent: s.agent,
      models: Object.keys(usage.byModel).filter((m) => m !== ''),
      tokens: { input: usage.input, output: usage.output, cacheRead: usage.cacheRead, cacheWrite: usage.cacheWrite },
      cost: costOfUsage(usage, config.parsed.pricing),
    });
  }
  const issues = group(rows, (r) => (r.issue === null ? null : `${r.project}#${r.issue}`));
  const plans = group(rows, (r) => r.plan);
  const total = sum(rows);

  if (flags.json) {
    print(JSON.stringify({ since: since !== undefined ? new Date(since).toISOString() : null, sessions: rows, issues, plans, total }, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    print(since !== undefined ? `No tokens recorded since ${new Date(since).toISOString()}.` : 'No tokens recorded yet: usage is read from claude-code, codex and opencode logs.');
    return 0;
  }
  const cells = (r: Row) => [formatTokens(r.tokens.input), formatTokens(r.tokens.output), formatTokens(r.tokens.cacheRead), formatTokens(r.tokens.cacheWrite), formatUsd(r.cost)];
  const head = ['input', 'output', 'cache read', 'cache write', 'cost'];
  print(table(['session', 'issue', 'agent', 'model', ...head], rows.map((r) => [r.id, r.issue ?? '-', r.agent, r.models.join(', ') || '?', ...cells(r)])));
  if (issues.length) {
    print();
    print(table(['issue', 'sessions', ...head], issues.map((g) => [g.key, g.sessions.join(' '), ...cells(g)])));
  }
  if (plans.length) {
    print();
    print(table(['plan', 'sessions', ...head], plans.map((g) => [g.key, g.sessions.join(' '), ...cells(g)])));
  }
  print();
  print(`${color.bold('total')}  ${formatTokens(total.tokens.input + total.tokens.output + total.tokens.cacheRead + total.tokens.cacheWrite)} tokens  ${formatUsd(total.cost)}`);
  if (total.cost.unpriced.length) print(color.dim(`no price for ${total.cost.unpriced.join(', ')}: add it under pricing: in ${config.file}`));
  return 0;
}

/** The session's usage as it stood at `since`: the last `usage.updated` before it. */
async function baselineAt(store: Parameters<typeof refreshUsage>[2], s: Session, since: number): Promise<SessionUsage | undefined> {
  const events = await store.events(s.project, s.id).catch(() => []);
  let baseline: SessionUsage | undefined;
  for (const e of events) {
    if (e.type !== 'usage.updated' || Date.parse(e.ts) >= since) continue;
    baseline = e.set?.usage as SessionUsage | undefined;
  }
  return baseline;
}
