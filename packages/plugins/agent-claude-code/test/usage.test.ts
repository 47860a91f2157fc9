// Tokens and the conversation from a real Claude Code 2.1.197 transcript (fixtures/transcript-2.1.197.jsonl,
// written by the real CLI against the testkit's scripted Anthropic server: a prompt, a reply whose text and
// Bash call are two records of one message, a denied tool result, a second prompt and its reply).
import { appendFile, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPluginContext, type Agent, type UsageReading } from '@ao/core/plugin';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import plugin, { claudeProjectDir } from '../src/index.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'transcript-2.1.197.jsonl');
let root: string;
let claudeHome: string;
let workspace: string;
let file: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ao-claude-usage-'));
  claudeHome = join(root, 'claude-home');
  workspace = join(root, 'ws');
  await mkdir(workspace, { recursive: true });
  const dir = claudeProjectDir(claudeHome, workspace);
  await mkdir(dir, { recursive: true });
  file = join(dir, '6ddf3d32-635c-4b47-a10e-096f06c65d3f.jsonl');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function agent(): Promise<Agent> {
  const ctx = createPluginContext({ configDir: root, env: { HOME: join(root, 'home'), AO_HOME: join(root, 'ao') } });
  return plugin.create(plugin.configSchema.parse({ claudeHome }), ctx);
}
const probe = (previous: Record<string, UsageReading> = {}) => ({ workspacePath: workspace, startedAt: Date.now() - 60_000, now: Date.now(), previous });

describe('claude-code readUsage', () => {
  it('counts each API message once, though Claude Code writes one record per content block', async () => {
    await copyFile(FIXTURE, file);
    const reading = await (await agent()).readUsage?.(probe());
    // msg_mx7khiiz3 (text + tool_use records): 1804 in, 42 out; msg_mx7khr1e5: 1966 in, 35 out.
    expect(reading?.log).toBe(file);
    expect(reading?.byModel).toEqual({ 'claude-opus-4-8': { input: 3770, output: 77, cacheRead: 0, cacheWrite: 0 } });
  });

  it('continues from its cursor: a transcript read in two parts, split inside one message, adds up to one read', async () => {
    const lines = (await readFile(FIXTURE, 'utf8')).split('\n').filter((l) => l !== '');
    // The second record of msg_mx7khiiz3: its tool_use block.
    const split = lines.findIndex((l) => (JSON.parse(l) as { message?: { content?: { type?: string }[] } }).message?.content?.[0]?.type === 'tool_use');
    expect(split).toBeGreaterThan(0);
    await writeFile(file, `${lines.slice(0, split).join('\n')}\n${lines[split]?.slice(0, 40)}`); // and half of the next line
    const a = await agent();
    const first = await a.readUsage?.(probe());
    expect(first?.byModel['claude-opus-4-8']).toEqual({ input: 1804, output: 42, cacheRead: 0, cacheWrite: 0 });
    await appendFile(file, `${lines[split]?.slice(40)}\n${lines.slice(split + 1).join('\n')}\n`);
    const second = await a.readUsage?.(probe({ [file]: first as UsageReading }));
    expect(second?.byModel['claude-opus-4-8']).toEqual({ input: 3770, output: 77, cacheRead: 0, cacheWrite: 0 });
    // Nothing new: the read starts at the end of the file.
    const third = await a.readUsage?.(probe({ [file]: second as UsageReading }));
    expect(third).toEqual(second);
  });

  it('has no reading before the transcript exists', async () => {
    expect(await (await agent()).readUsage?.(probe())).toBeUndefined();
  });
});

describe('claude-code readTrace', () => {
  it('reads the conversation: prompts, replies, the tool call with its input, the denied result', async () => {
    await copyFile(FIXTURE, file);
    const trace = await (await agent()).readTrace?.({ workspacePath: workspace, startedAt: Date.now() - 60_000, now: Date.now() });
    expect(trace?.entries.map((e) => [e.kind, e.tool ?? '', e.text.slice(0, 40), e.isError ?? false])).toEqual([
      ['user', '', 'please touch /tmp/ms/x-1', false],
      ['assistant', '', 'Creating it.', false],
      ['tool_call', 'Bash', '{"command":"touch /tmp/ms/x-1","descript', false],
      ['tool_result', 'Bash', "The user doesn't want to proceed with th", true],
      ['user', '', '[Request interrupted by user for tool us', false],
      ['user', '', 'ask me a question', false],
      ['assistant', '', "Tool said: The user doesn't want to proc", false],
    ]);
    expect(trace?.entries[0]?.ts).toBe('2026-12-03T13:04:59.821Z');
    // --follow: after the cursor there is nothing until the transcript grows.
    const again = await (await agent()).readTrace?.({ workspacePath: workspace, startedAt: Date.now() - 60_000, now: Date.now(), after: trace?.cursor });
    expect(again?.entries).toEqual([]);
    await appendFile(file, `${JSON.stringify({ type: 'user', message: { role: 'user', content: 'one more' }, timestamp: '2026-12-03T13:06:00.000Z' })}\n`);
    const more = await (await agent()).readTrace?.({ workspacePath: workspace, startedAt: Date.now() - 60_000, now: Date.now(), after: again?.cursor });
    expect(more?.entries).toEqual([{ ts: '2026-12-03T13:06:00.000Z', kind: 'user', text: 'one more' }]);
  });
});
