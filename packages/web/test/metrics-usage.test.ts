// /metrics and /api/metrics carry the agents' tokens and their cost: computed from the session
// store (a real one, in a temp dir) where `usage.updated` events put them, priced with the config.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSessionStore, resolvePaths, SESSION_STATUSES, usageTotals, type Session, type SessionStore } from '@ao/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMetrics, prometheusText } from '../src/server/metrics.js';

let dir: string;
let store: SessionStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ao-metrics-'));
  store = createSessionStore(resolvePaths({ AO_HOME: dir }));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function session(id: string, agent: string, extra: Partial<Session>, byModel: Record<string, { input: number; output: number; cacheRead: number; cacheWrite: number }>): Promise<void> {
  const now = new Date().toISOString();
  await store.create('app', {
    id, project: 'app', issue: null, title: null, branch: `ao/${id}`, baseBranch: 'main', workspacePath: join(dir, id), agent, runtimeName: 'tmux',
    workspaceName: 'worktree', runtime: null, status: 'working', activity: 'idle', activityDetail: null, nativeSessionId: null, pr: null,
    createdAt: now, updatedAt: now, startedAt: now, lastEvent: null, spawnMs: null, ...extra,
  });
  const logs = { [`/logs/${id}`]: { log: `/logs/${id}`, byModel } };
  await store.update('app', id, 'usage.updated', { usage: usageTotals(logs, now), usageLogs: logs });
}

describe('usage in the metrics', () => {
  it('sums tokens per project, agent and model, prices them, and groups cost by session, issue and plan', async () => {
    await session('app-1', 'claude-code', { issue: '7' }, { 'claude-sonnet-4-5-20250929': { input: 1_000_000, output: 100_000, cacheRead: 0, cacheWrite: 0 } });
    await session('app-2', 'claude-code', { issue: '7', plan: { id: 'p1', step: 'a' } }, { 'claude-sonnet-4-5-20250929': { input: 1_000_000, output: 0, cacheRead: 1_000_000, cacheWrite: 0 } });
    await session('app-3', 'codex', { plan: { id: 'p1', step: 'b' } }, { 'scripted-model': { input: 10, output: 5, cacheRead: 0, cacheWrite: 0 } });
    const m = await createMetrics(store, { pricing: { 'claude-sonnet-4-5': { input: 3, output: 15, cacheRead: 0.3 } } }).compute();
    expect(m.usage).toEqual([
      { project: 'app', agent: 'claude-code', model: 'claude-sonnet-4-5-20250929', input: 2_000_000, output: 100_000, cacheRead: 1_000_000, cacheWrite: 0, costUsd: 3 + 1.5 + 3 + 0.3 },
      { project: 'app', agent: 'codex', model: 'scripted-model', input: 10, output: 5, cacheRead: 0, cacheWrite: 0, costUsd: null },
    ]);
    expect(m.cost.bySession['app-1']).toEqual({ tokens: 1_100_000, costUsd: 4.5 });
    expect(m.cost.byIssue['app#7']?.costUsd).toBeCloseTo(7.8, 9);
    expect(m.cost.byPlan.p1).toEqual({ tokens: 2_000_015, costUsd: 3.3 });
    const text = prometheusText(m, SESSION_STATUSES);
    expect(text).toContain('# TYPE ao_tokens_total counter');
    expect(text).toContain('ao_tokens_total{project="app",agent="claude-code",model="claude-sonnet-4-5-20250929",kind="cache_read"} 1000000');
    expect(text).toContain('ao_tokens_total{project="app",agent="codex",model="scripted-model",kind="output"} 5');
    expect(text).toMatch(/^ao_cost_usd_total\{project="app",agent="claude-code",model="claude-sonnet-4-5-20250929"\} 7\.8\d*$/m);
    // A model without a price has tokens but no cost line.
    expect(text).not.toContain('ao_cost_usd_total{project="app",agent="codex"');
  });
});
