// Tokens and the conversation from a real Codex 0.171.0 rollout (fixtures/rollout-0.171.0.jsonl, written by
// the real CLI against the testkit's scripted Responses server; strings over 1,500 characters, Codex's own
// instructions, are cut short). Two turns: a prompt answered with a tool call, its output and a reply; then
// "hello". Its token_count events carry the running totals 6,565/83 and then 13,249/128.
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPluginContext, type Agent, type UsageReading } from '@ao/core/plugin';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import plugin from '../src/index.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'rollout-0.171.0.jsonl');
let root: string;
let codexHome: string;
let workspace: string;
let file: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ao-codex-usage-'));
  codexHome = join(root, 'codex-home');
  workspace = join(root, 'ws');
  await mkdir(workspace, { recursive: true });
  const d = new Date();
  const day = join(codexHome, 'sessions', String(d.getFullYear()), String(d.getMonth() + 1).padStart(2, '0'), String(d.getDate()).padStart(2, '0'));
  await mkdir(day, { recursive: true });
  file = join(day, 'rollout-2026-12-03T13-08-20-01a23c05-26a2-72b0-9b90-1c71ea91c96a.jsonl');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The fixture's lines, its working directory made this test's workspace. */
async function rolloutLines(): Promise<string[]> {
  return (await readFile(FIXTURE, 'utf8')).split('\n').filter((l) => l !== '').map((l) => l.replaceAll('/tmp/ms/proj', workspace));
}
async function agent(): Promise<Agent> {
  const ctx = createPluginContext({ configDir: root, env: { HOME: join(root, 'home'), AO_HOME: join(root, 'ao'), CODEX_HOME: codexHome } });
  return plugin.create(plugin.configSchema.parse({}), ctx);
}
const probe = (previous: Record<string, UsageReading> = {}) => ({ workspacePath: workspace, startedAt: Date.now() - 60_000, now: Date.now(), previous });

describe('codex readUsage', () => {
  it('takes the last running total, cached input apart, under the turn context model', async () => {
    const lines = await rolloutLines();
    const firstTotal = lines.findIndex((l) => l.includes('"token_count"'));
    await writeFile(file, `${lines.slice(0, firstTotal + 1).join('\n')}\n`);
    const a = await agent();
    const first = await a.readUsage?.(probe());
    expect(first?.byModel).toEqual({ 'scripted-model': { input: 6565, output: 83, cacheRead: 0, cacheWrite: 0 } });
    await appendFile(file, `${lines.slice(firstTotal + 1).join('\n')}\n`);
    const second = await a.readUsage?.(probe({ [file]: first as UsageReading }));
    expect(second?.byModel).toEqual({ 'scripted-model': { input: 13249, output: 128, cacheRead: 0, cacheWrite: 0 } });
    // The same size: the stored reading, without reading the file.
    expect(await a.readUsage?.(probe({ [file]: second as UsageReading }))).toBe(second);
  });

  it('counts cached input as cache reads, not as fresh input', async () => {
    const lines = await rolloutLines();
    const total = { input_tokens: 10_000, cached_input_tokens: 8_000, cache_write_input_tokens: 0, output_tokens: 500, reasoning_output_tokens: 200, total_tokens: 10_500 };
    lines.push(JSON.stringify({ timestamp: '2026-12-03T13:10:00.000Z', type: 'event_msg', payload: { type: 'token_count', info: { total_token_usage: total, last_token_usage: total } } }));
    await writeFile(file, `${lines.join('\n')}\n`);
    expect((await (await agent()).readUsage?.(probe()))?.byModel).toEqual({ 'scripted-model': { input: 2_000, output: 500, cacheRead: 8_000, cacheWrite: 0 } });
  });
});

describe('codex readTrace', () => {
  it('reads the conversation without the context Codex injects', async () => {
    await writeFile(file, `${(await rolloutLines()).join('\n')}\n`);
    const trace = await (await agent()).readTrace?.({ workspacePath: workspace, startedAt: Date.now() - 60_000, now: Date.now() });
    expect(trace?.entries.map((e) => [e.kind, e.tool ?? '', e.text.slice(0, 40)])).toEqual([
      ['user', '', 'please touch /tmp/ms/y-1'],
      ['assistant', '', 'Creating it.'],
      ['tool_call', 'shell', '{"command":["bash","-lc","touch /tmp/ms/'],
      ['tool_result', 'shell', 'unsupported call: shell'],
      ['assistant', '', 'Tool said: unsupported call: shell'],
      ['user', '', 'hello'], // the recording ends as the second turn starts
    ]);
    expect(trace?.entries[0]?.ts).toMatch(/^2026-12-03T13:08/);
  });
});
