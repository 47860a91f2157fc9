/**
 * Workers message each other: a session started with plain `ao spawn` (not by the orchestrator) runs
 * the real agent CLI with ao's messaging server (`ao mcp --worker`) configured. Claude Code and
 * OpenCode are offered its tools and, when the scripted model calls `send_message`, the message
 * reaches the other session (the scripted fake agent, which logs what it receives) prefixed with the
 * sender. Codex is offered them in its `mcp__ao` namespace (the scripted Responses server does not
 * call namespaced tools).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentCliName } from '@ao/testkit/agent-clis';
import { fakeAgentArgv } from '@ao/testkit/fake-agent';
import type { ModelTurn } from '@ao/testkit/model-servers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AGENT_PLUGINS, createRealAgentEnv, realAgentConfig, type RealAgentEnv } from './real-agent-env.js';

interface Case {
  cli: AgentCliName;
  /** The name under which the CLI offers ao's `send_message` to the model; undefined: offered in a namespace only. */
  sendTool?: string;
  agentConfig: string;
}

const CASES: Case[] = [
  { cli: 'claude', sendTool: 'mcp__ao__send_message', agentConfig: '' },
  { cli: 'opencode', sendTool: 'ao_send_message', agentConfig: '' },
  { cli: 'codex', agentConfig: "  codex: { plugin: codex, extraArgs: ['--no-daemon'] }\n" },
];

/** The tools a request offers, namespaces opened (`mcp__ao/send_message`). */
function offered(turn: ModelTurn): string[] {
  const tools = Array.isArray(turn.body.tools) ? (turn.body.tools as Record<string, unknown>[]) : [];
  return tools.flatMap((t) => (t.type === 'namespace' && Array.isArray(t.tools) ? (t.tools as Record<string, unknown>[]).map((x) => `${String(t.name)}/${String(x.name)}`) : [String(t.name ?? t.type)]));
}

for (const c of CASES) {
  describe(`${c.cli} (real CLI): a worker of ao spawn messages another session`, () => {
    let real: RealAgentEnv;
    let log: string;
    let receiver = '';
    let worker = '';
    let called = false;
    const ao = (...args: string[]) => real.ao(...args);

    beforeAll(async () => {
      real = await createRealAgentEnv({
        cli: c.cli,
        prefix: `ao-messages-${c.cli}-`,
        script: (turn) => {
          if (turn.tools.length === 0) return { text: 'Scripted title' };
          if (turn.toolResults.length) return { text: `Sent: ${turn.toolResults.map((r) => r.output).join(' ').slice(0, 200)}` };
          if (!called && c.sendTool && turn.tools.includes(c.sendTool) && /tell the receiver/.test(turn.newUserText)) {
            called = true;
            return { text: 'Telling it.', toolCalls: [{ name: c.sendTool, input: { session: receiver, text: 'the API is ready' } }] };
          }
          return { text: 'Ready.' };
        },
      });
      log = join(real.dir.path, 'receiver.jsonl');
      const fake = `  fake: { command: ${JSON.stringify(fakeAgentArgv(['--log', log]))}, prompt: arg }\n`;
      await real.writeConfig(realAgentConfig(AGENT_PLUGINS[c.cli], `agents:\n${fake}${c.agentConfig}`));
      const r = await ao('spawn', '--agent', 'fake', '--prompt', 'wait for messages', '--json');
      expect(r.code, r.stderr).toBe(0);
      receiver = (JSON.parse(r.stdout) as { id: string }).id;
    }, 600_000);

    afterAll(async () => {
      for (const id of [worker, receiver]) if (id) await ao('session', 'kill', id);
      await real?.cleanup();
    }, 60_000);

    it('is offered ao\'s messaging tools, and a message it sends arrives in the other session, signed', async () => {
      const { server } = real;
      const spawned = await ao('spawn', '--prompt', 'tell the receiver that the API is ready', '--json');
      expect(spawned.code, spawned.stderr).toBe(0);
      worker = (JSON.parse(spawned.stdout) as { id: string }).id;
      expect(real.readinessTimeouts()).toEqual([]);
      const received = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
      let polls = 0;
      await vi.waitFor(
        async () => {
          const tools = server.turns.flatMap(offered);
          if (!c.sendTool) {
            if (tools.includes('mcp__ao/send_message')) return;
          } else if (received().includes(`[from ${worker}] the API is ready`)) {
            return;
          } else if (!called && polls++ % 10 === 9 && server.turns.some((t) => t.tools.length > 0 && /tell the receiver/.test(t.newUserText))) {
            // The CLI starts MCP servers in the background: its first request may have gone out
            // before ao's server was connected. The next message is a request that has its tools.
            expect((await ao('send', worker, 'tell the receiver now, please')).code).toBe(0);
          }
          throw new Error(`not yet; tools offered: ${JSON.stringify([...new Set(tools)])}; the screen:\n${real.screen(worker)}`);
        },
        { timeout: 120_000, interval: 500 },
      );
      if (c.sendTool) {
        // The tool's result went back to the model, and the message is logged on both sessions.
        const answered = await server.waitForTurn((t) => t.toolResults.length > 0, 60_000);
        expect(answered.toolResults[0]?.isError).toBe(false);
        const events = (await ao('session', 'events', receiver, '--json')).stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { type: string; data?: { preview?: string } });
        expect(events.some((e) => e.type === 'message.sent' && e.data?.preview?.includes('the API is ready'))).toBe(true);
      }
    }, 300_000);
  });
}
