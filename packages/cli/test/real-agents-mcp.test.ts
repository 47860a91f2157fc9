/**
 * The orchestrator drives ao through MCP: `ao start` launches the real Claude Code (pinned version,
 * scripted Anthropic server) as the orchestrator with ao's own MCP server configured
 * (`--mcp-config`, tools pre-allowed). The scripted model calls the `mcp__ao__spawn` tool Claude Code
 * offers; Claude Code runs `ao mcp`, which spawns a worker (the scripted fake agent) through the
 * same SessionManager as `ao spawn`: the worker appears in `ao status` and gets its prompt.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeAgentArgv } from '@ao/testkit/fake-agent';
import type { ModelServer } from '@ao/testkit/model-servers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRealAgentEnv, realAgentConfig, type RealAgentEnv } from './real-agent-env.js';

let real: RealAgentEnv;
let server: ModelServer;
let log: string;
const ao = (...args: string[]) => real.ao(...args);

beforeAll(async () => {
  let spawned = false;
  real = await createRealAgentEnv({
    cli: 'claude',
    prefix: 'ao-real-mcp-',
    script: (turn) => {
      if (turn.tools.length === 0) return { text: 'Scripted title' };
      if (turn.toolResults.length) return { text: `Spawned: ${turn.toolResults.map((r) => r.output).join(' ').slice(0, 200)}` };
      if (!spawned && turn.tools.includes('mcp__ao__spawn')) {
        spawned = true;
        return { text: 'Starting a worker.', toolCalls: [{ name: 'mcp__ao__spawn', input: { prompt: 'worker task: add a line to README' } }] };
      }
      return { text: 'Waiting.' };
    },
  });
  server = real.server;
  log = join(real.dir.path, 'worker.jsonl');
  const worker = fakeAgentArgv(['--log', log]);
  await real.writeConfig(realAgentConfig('fake', [`agents:\n  fake: { command: ${JSON.stringify(worker)}, prompt: arg }`, 'orchestrator:\n  agent: claude-code', 'dashboard:\n  port: 0', ''].join('\n')));
}, 600_000);

afterAll(async () => {
  await real?.cleanup();
}, 60_000);

interface Row {
  id: string;
  role?: string;
  activity: string | null;
}

describe('the orchestrator with ao mcp (real Claude Code)', () => {
  it('is offered ao tools and spawns a worker through them', async () => {
    const started = await ao('start');
    expect(started.code, started.stderr).toBe(0);
    const sessions = async () => JSON.parse((await ao('status', '--json')).stdout) as Row[];
    const orchestrator = await vi.waitFor(
      async () => {
        const o = (await sessions()).find((s) => s.role === 'orchestrator');
        if (!o) throw new Error('no orchestrator yet');
        return o;
      },
      { timeout: 60_000, interval: 500 },
    );
    const screen = () => real.screen(orchestrator.id);
    // Its first model request offers ao's tools (Claude Code names MCP tools mcp__<server>__<tool>).
    // (Claude Code 2.1.197 may keep the orchestrator prompt, pasted while it starts, in its input
    // box unsent: ao sees it there and presses Enter again, see delivery.ts `confirmSubmitted`.)
    let polls = 0;
    await vi.waitFor(
      async () => {
        if (server.turns.some((t) => t.tools.includes('mcp__ao__spawn'))) return;
        if (polls++ % 6 === 5) {
          const now = screen();
          if (server.turns.some((t) => t.tools.length > 0) && /^❯\s*$/mu.test(now) && !/esc to interrupt/u.test(now)) {
            // Claude Code connects MCP servers in the background: on a loaded machine the prompt
            // went out before `ao mcp` answered, and the model replied without ao's tools. The next
            // message (idle orchestrator, no menu) is a request that has them.
            expect((await ao('send', orchestrator.id, 'Go on with step 1.')).code).toBe(0);
          }
        }
        throw new Error(`no request offering ao's tools yet; the screen:\n${screen()}`);
      },
      { timeout: 120_000, interval: 500 },
    );
    const offered = server.turns.find((t) => t.tools.includes('mcp__ao__spawn')) as (typeof server.turns)[number];
    expect(offered.tools).toEqual(expect.arrayContaining(['mcp__ao__spawn', 'mcp__ao__list', 'mcp__ao__status', 'mcp__ao__send', 'mcp__ao__answer']));
    const worker = await vi.waitFor(
      async () => {
        const w = (await sessions()).find((s) => s.role !== 'orchestrator');
        if (!w) throw new Error(`no worker yet; model requests: ${server.turns.length}`);
        return w;
      },
      { timeout: 120_000, interval: 500 },
    );
    await vi.waitFor(
      () => {
        const received = existsSync(log) ? readFileSync(log, 'utf8') : '';
        if (!received.includes('worker task: add a line to README')) throw new Error('the worker has not received its prompt');
      },
      { timeout: 30_000, interval: 250 },
    );
    // The tool's result (the new session) went back to the model.
    const answered = await server.waitForTurn((t) => t.toolResults.length > 0, 60_000);
    expect(answered.toolResults[0]?.output).toContain(worker.id);
    expect(answered.toolResults[0]?.isError).toBe(false);
    expect(real.readinessTimeouts()).toEqual([]);
  }, 600_000);
});
