/**
 * Tokens of an OpenCode session, from its database (see db.ts): the running totals OpenCode keeps
 * on the conversation's `session` row (input, output plus reasoning, cache read, cache write) and
 * its own `cost`, plus those of the conversations it started (subagents). The database and its WAL
 * are only stat'ed when nothing changed since the last reading.
 */
import { realpath } from 'node:fs/promises';
import type { AgentLogProbe, TokenCounts, UsageReading } from '@ao/core/plugin';
import { childSessions, dbVersion, newestSession, withOpencodeDb, type OpencodeSessionRow } from './db.js';

/** `provider/model` from the row's `{ id, providerID }` JSON ('' when absent). */
export function opencodeModel(row: OpencodeSessionRow): string {
  try {
    const m = JSON.parse(row.model ?? '') as { id?: unknown; providerID?: unknown };
    if (typeof m.id === 'string') return typeof m.providerID === 'string' ? `${m.providerID}/${m.id}` : m.id;
  } catch {
    // no model recorded
  }
  return '';
}

const counts = (r: OpencodeSessionRow): TokenCounts => ({
  input: r.tokens_input,
  output: r.tokens_output + r.tokens_reasoning,
  cacheRead: r.tokens_cache_read,
  cacheWrite: r.tokens_cache_write,
});

/** The reading for the workspace's newest conversation in database `path`, or `previous[…]` when the database did not change. */
export async function readOpencodeUsage(path: string, probe: AgentLogProbe & { previous: Readonly<Record<string, UsageReading>> }): Promise<UsageReading | undefined> {
  const version = await dbVersion(path);
  if (version === undefined) return undefined;
  const unchanged = Object.values(probe.previous).find((r) => r.log.startsWith(`${path}#`) && r.cursor?.version === version);
  if (unchanged) return unchanged;
  const dirs = [...new Set([probe.workspacePath, await realpath(probe.workspacePath).catch(() => probe.workspacePath)])];
  return withOpencodeDb(path, (db) => {
    const main = newestSession(db, dirs, probe.startedAt - 2_000);
    if (!main) return undefined;
    const byModel: Record<string, TokenCounts> = {};
    let cost = 0;
    for (const row of [main, ...childSessions(db, main.id)]) {
      const model = opencodeModel(row);
      const c = counts(row);
      const b = byModel[model];
      byModel[model] = b ? { input: b.input + c.input, output: b.output + c.output, cacheRead: b.cacheRead + c.cacheRead, cacheWrite: b.cacheWrite + c.cacheWrite } : c;
      cost += row.cost;
    }
    return { log: `${path}#${main.id}`, byModel, costUsd: cost, cursor: { version } };
  });
}
