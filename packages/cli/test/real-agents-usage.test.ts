/**
 * Tokens, cost and the trace from the real agent CLIs' own logs (Claude Code's transcript, Codex's
 * rollout, OpenCode's SQLite database), each CLI at its pinned version run by ao in tmux against a scripted model server that
 * reports usage as the real APIs do. `ao status --json` shows the session's tokens, they grow with
 * each turn, `ao cost --json` adds them up, and `ao session trace` reads back the conversation.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentCliName } from '@ao/testkit/agent-clis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AGENT_PLUGINS, createRealAgentEnv, realAgentConfig, type RealAgentEnv } from './real-agent-env.js';

interface Case {
  cli: AgentCliName;
  agentConfig: string;
}

const CASES: Case[] = [
  { cli: 'claude', agentConfig: '' },
  { cli: 'codex', agentConfig: "agents:\n  codex: { plugin: codex, extraArgs: ['--no-daemon'] }\n" },
  // OpenCode keeps its sessions in SQLite: read with better-sqlite3 (an optional dependency).
  { cli: 'opencode', agentConfig: '' },
];

interface Tokens {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  byModel: Record<string, unknown>;
}
interface StatusRow {
  id: string;
  activity: string | null;
  usage?: Tokens;
  usageLogs?: unknown;
  cost: { usd: number | null; unpriced: string[] };
}

for (const c of CASES) {
  describe(`${c.cli} (real CLI): tokens and trace`, () => {
    let real: RealAgentEnv;
    let id = '';
    const ao = (...args: string[]) => real.ao(...args);
    const row = async (): Promise<StatusRow> => {
      const r = await ao('status', '--json');
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as StatusRow[]).find((s) => s.id === id) as StatusRow;
    };

    beforeAll(async () => {
      real = await createRealAgentEnv({
        cli: c.cli,
        prefix: `ao-usage-${c.cli}-`,
        script: (turn) => {
          if (turn.tools.length === 0) return { text: 'Scripted title' };
          if (/say more/.test(turn.newUserText)) return { text: 'More, at length: the parser reads tokens.' };
          return { text: 'Ready.' };
        },
      });
      await real.writeConfig(realAgentConfig(AGENT_PLUGINS[c.cli], `${c.agentConfig}pricing:\n  scripted-model: { input: 2, output: 8 }\ndashboard:\n  port: 0\n`));
      const spawned = await ao('spawn', '--prompt', 'hello', '--json');
      expect(spawned.code, spawned.stderr).toBe(0);
      id = (JSON.parse(spawned.stdout) as { id: string }).id;
      expect(real.readinessTimeouts()).toEqual([]);
      // The first request once the model has answered the spawn prompt and the agent sits idle at its
      // prompt: a message typed while the CLI still starts or works on its first turn may be dropped
      // by the CLI (not what these tests are about).
      await real.waitForTurn(id, (t) => t.tools.length > 0 && t.newUserText.includes('hello'));
      await vi.waitFor(
        async () => {
          const s = await row();
          if (s.activity !== 'idle') throw new Error(`activity is ${s.activity}`);
        },
        { timeout: 120_000, interval: 250 },
      );
      expect(await ao('send', id, 'hello there')).toMatchObject({ code: 0 });
    }, 600_000);

    afterAll(async () => {
      if (id) await ao('session', 'kill', id);
      await real?.cleanup();
    }, 60_000);

    it('ao status --json shows the tokens the CLI recorded, and they grow with the next turn', async () => {
      const first = await vi.waitFor(
        async () => {
          const s = await row();
          if (!s.usage || s.usage.output === 0) throw new Error(`usage ${JSON.stringify(s.usage)}, activity ${s.activity}`);
          return s;
        },
        { timeout: 120_000, interval: 500 },
      );
      expect(first.usage?.input).toBeGreaterThan(0);
      expect(first.usageLogs).toBeUndefined();
      const models = Object.keys(first.usage?.byModel ?? {});
      expect(models.length).toBe(1);
      expect(await ao('send', id, 'say more')).toMatchObject({ code: 0 });
      const second = await vi.waitFor(
        async () => {
          const s = await row();
          if ((s.usage?.input ?? 0) <= (first.usage?.input ?? 0)) throw new Error(`usage still ${JSON.stringify(s.usage)}`);
          return s;
        },
        { timeout: 120_000, interval: 500 },
      );
      expect(second.usage?.output).toBeGreaterThan(first.usage?.output ?? 0);
      const table = await ao('status');
      expect(table.stdout).toMatch(/TOKENS\s+COST/);
    }, 300_000);

    it('ao cost --json adds the session up; ao session trace reads the conversation back', async () => {
      // Once the agent is done (OpenCode adds up each step, and names the conversation after it).
      const s = await vi.waitFor(
        async () => {
          const [a, b] = [await row(), await row()];
          // The same tokens on two reads running (not the same object: without a daemon nothing records
          // the reading, so each `ao status` reads it afresh, stamped with its own time).
          const tokens = (u: typeof a.usage) => JSON.stringify(u && { ...u, updatedAt: undefined });
          if (a.activity !== 'idle' || tokens(a.usage) !== tokens(b.usage)) throw new Error(`still working: ${a.activity}, tokens ${tokens(a.usage)} then ${tokens(b.usage)}`);
          return b;
        },
        { timeout: 60_000, interval: 500 },
      );
      const cost = await ao('cost', '--json');
      expect(cost.code, cost.stderr).toBe(0);
      const report = JSON.parse(cost.stdout) as { sessions: { id: string; tokens: Tokens }[]; total: { tokens: Tokens; cost: { usd: number | null; unpriced: string[] } } };
      expect(report.sessions.map((x) => x.id)).toEqual([id]);
      expect(report.total.tokens).toEqual({ input: s.usage?.input, output: s.usage?.output, cacheRead: s.usage?.cacheRead, cacheWrite: s.usage?.cacheWrite });
      if (c.cli !== 'claude') {
        // Priced from `pricing:` in the config (the scripted server's model is in no price list).
        expect(report.total.cost.usd).toBeCloseTo(((s.usage?.input ?? 0) * 2 + (s.usage?.output ?? 0) * 8 + (s.usage?.cacheRead ?? 0) * 2) / 1e6, 9);
      }
      const trace = await ao('session', 'trace', id, '--json');
      expect(trace.code, trace.stderr).toBe(0);
      const entries = JSON.parse(trace.stdout) as { kind: string; text: string }[];
      // Claude Code may take a prompt typed while it started and the next message as one submission.
      expect(entries.filter((e) => e.kind === 'user' && e.text.endsWith('hello there')), JSON.stringify(entries)).toHaveLength(1);
      expect(entries.filter((e) => e.kind === 'user' && e.text === 'say more')).toHaveLength(1);
      expect(entries.some((e) => e.kind === 'assistant' && e.text.includes('More, at length'))).toBe(true);
      const text = await ao('session', 'trace', id);
      expect(text.stdout).toContain('More, at length: the parser reads tokens.');
      // The dashboard's trace beside the terminal reads the same entries, then only what comes after.
      expect((await ao('start', '--no-orchestrator')).code).toBe(0);
      const info = JSON.parse(await readFile(join(real.env.AO_HOME as string, 'daemon.json'), 'utf8')) as { url: string };
      const token = (await readFile(join(real.env.AO_HOME as string, 'daemon.token'), 'utf8')).trim();
      const api = async (path: string) => (await fetch(new URL(path, info.url), { headers: { authorization: `Bearer ${token}` } })).json() as Promise<{ entries: unknown[]; cursor: unknown }>;
      const whole = await api(`/api/sessions/${id}/trace`);
      expect(whole.entries).toEqual(entries);
      const after = await api(`/api/sessions/${id}/trace?after=${encodeURIComponent(JSON.stringify(whole.cursor))}`);
      expect(after.entries).toEqual([]);
    }, 120_000);
  });
}
