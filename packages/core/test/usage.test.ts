// Token usage: prices by model (built-in list, config on top), the incremental JSONL reader the
// agent plugins use, and refreshUsage writing a `usage.updated` event only when tokens change.
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigSchema,
  costOfUsage,
  createSessionStore,
  priceOf,
  readJsonlFrom,
  refreshUsage,
  resolvePaths,
  usageTotals,
  type Agent,
  type Session,
  type UsageProbe,
  type UsageReading,
} from '../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ao-usage-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pricing', () => {
  it('finds a model by exact name, without its provider, and by the longest prefix; config wins', () => {
    expect(priceOf('claude-sonnet-4-5-20250929')).toEqual({ input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 });
    expect(priceOf('anthropic/claude-opus-4-1')?.output).toBe(75);
    expect(priceOf('gpt-5-mini-2025-08-07')?.input).toBe(0.25);
    expect(priceOf('scripted-model')).toBeUndefined();
    const pricing = ConfigSchema.shape.pricing.parse({ 'claude-sonnet-4-5': { input: 1, output: 2 }, scripted: { input: 10, output: 20 } });
    expect(priceOf('claude-sonnet-4-5-20250929', pricing)).toEqual({ input: 1, output: 2 });
    expect(priceOf('scripted-model', pricing)?.input).toBe(10);
  });

  it('prices each model of a session; an unknown model is named, and the CLI cost stands in when recorded', () => {
    const usage = usageTotals(
      {
        a: { log: 'a', byModel: { 'claude-sonnet-4-5': { input: 1_000_000, output: 100_000, cacheRead: 2_000_000, cacheWrite: 0 } } },
        b: { log: 'b', byModel: { 'gpt-5': { input: 0, output: 1_000_000, cacheRead: 0, cacheWrite: 0 } } },
      },
      new Date(0).toISOString(),
    );
    expect(usage).toMatchObject({ input: 1_000_000, output: 1_100_000, cacheRead: 2_000_000, cacheWrite: 0 });
    // 3 + 1.5 + 0.6 for Sonnet, 10 for GPT-5.
    expect(costOfUsage(usage)).toEqual({ usd: 15.1, unpriced: [], source: 'table' });
    const mixed = usageTotals({ c: { log: 'c', byModel: { mystery: { input: 5, output: 5, cacheRead: 0, cacheWrite: 0 } }, costUsd: 0.25 } }, '');
    expect(costOfUsage(mixed)).toEqual({ usd: 0.25, unpriced: ['mystery'], source: 'cli' });
    const unknown = usageTotals({ c: { log: 'c', byModel: { mystery: { input: 5, output: 5, cacheRead: 0, cacheWrite: 0 } } } }, '');
    expect(costOfUsage(unknown)).toEqual({ usd: null, unpriced: ['mystery'], source: null });
  });
});

describe('readJsonlFrom', () => {
  it('reads complete lines after an offset and leaves a line still being written for the next read', async () => {
    const file = join(dir, 'log.jsonl');
    await writeFile(file, '{"n":1}\n{"n":2}\n{"n":');
    const first = await readJsonlFrom(file, 0);
    expect(first.entries.map((e) => e.value)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(first.next).toBe(16);
    await appendFile(file, '3}\nnot json\n{"n":4}\n');
    const second = await readJsonlFrom(file, first.next);
    expect(second.entries.map((e) => e.value)).toEqual([{ n: 3 }, { n: 4 }]);
    expect(second.entries[0]?.offset).toBe(16);
    expect((await readJsonlFrom(file, second.next)).entries).toEqual([]);
    // A file replaced by a shorter one is read from its start.
    await writeFile(file, '{"n":5}\n');
    expect((await readJsonlFrom(file, second.next)).entries.map((e) => e.value)).toEqual([{ n: 5 }]);
  });
});

describe('refreshUsage', () => {
  it('records the reading on the session as usage.updated, and writes nothing when the tokens did not change', async () => {
    const store = createSessionStore(resolvePaths({ AO_HOME: dir }));
    const now = new Date().toISOString();
    const base: Session = {
      id: 'app-1', project: 'app', issue: null, title: null, branch: 'ao/app-1', baseBranch: 'main', workspacePath: dir,
      agent: 'x', runtimeName: 'tmux', workspaceName: 'worktree', runtime: null, status: 'working', activity: 'active',
      activityDetail: null, nativeSessionId: null, pr: null, createdAt: now, updatedAt: now, startedAt: now, lastEvent: null, spawnMs: null,
    };
    await store.create('app', base);
    // An agent whose log is a counter file: each read returns what it holds, cursor = its value.
    const counter = join(dir, 'tokens');
    const probes: UsageProbe[] = [];
    const agent: Agent = {
      canResume: false,
      launch: () => ({ argv: ['true'] }),
      detectActivity: async () => ({ activity: 'idle', source: 'test' }),
      async readUsage(probe): Promise<UsageReading> {
        probes.push(probe);
        const { readFile } = await import('node:fs/promises');
        const n = Number(await readFile(counter, 'utf8'));
        return { log: counter, byModel: { 'gpt-5': { input: n, output: 1, cacheRead: 0, cacheWrite: 0 } }, cursor: { offset: n } };
      },
    };
    await writeFile(counter, '100');
    const first = await refreshUsage(agent, await store.find('app-1'), store, Date.now());
    expect(first?.usage).toMatchObject({ input: 100, output: 1 });
    expect(first?.usageLogs?.[counter]?.cursor).toEqual({ offset: 100 });
    expect(await refreshUsage(agent, await store.find('app-1'), store, Date.now())).toBeUndefined();
    // The stored reading comes back to the plugin, so it can continue where it stopped.
    expect(probes[1]?.previous[counter]?.cursor).toEqual({ offset: 100 });
    await writeFile(counter, '250');
    await refreshUsage(agent, await store.find('app-1'), store, Date.now());
    const events = await store.events('app', 'app-1');
    expect(events.filter((e) => e.type === 'usage.updated').map((e) => (e.set?.usage as { input: number }).input)).toEqual([100, 250]);
  });
});
