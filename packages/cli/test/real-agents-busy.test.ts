/**
 * A message sent while the real agent CLI is busy (its model request still open) reaches the model
 * exactly once: the CLI queues it or takes it as it comes, and ao's submission check (the input box
 * read after each delivery) presses no Enter that would send it twice or send an empty turn.
 */
import type { AgentCliName } from '@ao/testkit/agent-clis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AGENT_PLUGINS, createRealAgentEnv, realAgentConfig, type RealAgentEnv } from './real-agent-env.js';

const CASES: { cli: AgentCliName; agentConfig: string }[] = [
  { cli: 'claude', agentConfig: '' },
  { cli: 'codex', agentConfig: "agents:\n  codex: { plugin: codex, extraArgs: ['--no-daemon'] }\n" },
  { cli: 'opencode', agentConfig: '' },
];

for (const c of CASES) {
  describe(`${c.cli} (real CLI): a message while it works`, () => {
    let real: RealAgentEnv;
    let id = '';
    let release: () => void = () => {};
    const thinking = new Promise<void>((resolve) => (release = resolve));
    const ao = (...args: string[]) => real.ao(...args);

    beforeAll(async () => {
      real = await createRealAgentEnv({
        cli: c.cli,
        prefix: `ao-busy-${c.cli}-`,
        script: (turn) => {
          if (turn.tools.length === 0) return { text: 'Scripted title' };
          if (/think long/.test(turn.newUserText)) return { text: 'Thought it over.', after: thinking };
          return { text: 'Ready.' };
        },
      });
      await real.writeConfig(realAgentConfig(AGENT_PLUGINS[c.cli], c.agentConfig));
      const spawned = await ao('spawn', '--prompt', 'hello', '--json');
      expect(spawned.code, spawned.stderr).toBe(0);
      id = (JSON.parse(spawned.stdout) as { id: string }).id;
      await real.waitForTurn(id, (t) => t.tools.length > 0 && t.newUserText.includes('hello'));
    }, 600_000);

    afterAll(async () => {
      release();
      if (id) await ao('session', 'kill', id);
      await real?.cleanup();
    }, 60_000);

    it('arrives once: no second copy, no empty turn, nothing left in its input box', async () => {
      const { server } = real;
      const asked = (text: string) => server.turns.filter((t) => t.tools.length > 0 && t.newUserText.includes(text));
      await vi.waitFor(
        async () => {
          const row = (JSON.parse((await ao('status', '--json')).stdout) as { id: string; activity: string }[]).find((s) => s.id === id);
          if (row?.activity !== 'idle') throw new Error(`activity ${row?.activity}`);
        },
        { timeout: 120_000, interval: 250 },
      );
      expect((await ao('send', id, 'think long about the parser')).code).toBe(0);
      // The request is open: the CLI works on it until the test lets the model answer.
      await vi.waitFor(() => expect(asked('think long')).toHaveLength(1), { timeout: 60_000, interval: 100 });
      const sent = await ao('send', id, 'also check the lexer');
      expect(sent.code, `${sent.stderr}\n${real.screen(id)}`).toBe(0);
      release();
      await vi.waitFor(() => expect(asked('also check the lexer').length, real.screen(id)).toBeGreaterThan(0), { timeout: 120_000, interval: 250 });
      // Nothing more comes (the CLI is idle again): then it was asked exactly once, and no empty turn.
      await vi.waitFor(
        async () => {
          const row = (JSON.parse((await ao('status', '--json')).stdout) as { id: string; activity: string }[]).find((s) => s.id === id);
          if (row?.activity !== 'idle') throw new Error(`activity ${row?.activity}`);
        },
        { timeout: 120_000, interval: 250 },
      );
      expect(asked('also check the lexer')).toHaveLength(1);
      const events = (await ao('session', 'events', id, '--json')).stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; data?: Record<string, unknown> });
      const lexer = events.filter((e) => e.type === 'message.sent' && String(e.data?.preview).includes('lexer'));
      expect(lexer).toHaveLength(1);
      // The box let it go (an Enter the busy CLI dropped may have been pressed again: still once).
      expect(lexer[0]?.data?.unconfirmed).toBeUndefined();
    }, 300_000);
  });
}
