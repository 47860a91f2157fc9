/**
 * The real agent CLIs (Claude Code, Codex, OpenCode at the versions pinned in
 * `@ao/testkit/agent-clis`, installed from npm once per machine) run by ao in tmux, each against a
 * scripted model server on loopback speaking its own protocol, in a fresh HOME. The scripted model
 * asks to run `touch <file>` through the CLI's shell tool; the CLI asks for permission; `ao send`
 * answers. A "No" in any form must leave the file absent, a "Yes" must create it, and a question
 * menu answered "2" must choose the second option.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { VERIFIED_VERSION as CLAUDE_VERIFIED } from '@ao/plugin-agent-claude-code';
import { VERIFIED_VERSION as CODEX_VERIFIED } from '@ao/plugin-agent-codex';
import { VERIFIED_VERSION as OPENCODE_VERIFIED } from '@ao/plugin-agent-opencode';
import { AGENT_CLI_PACKAGES, type AgentCliName } from '@ao/testkit/agent-clis';
import type { ModelServer, ScriptedToolCall } from '@ao/testkit/model-servers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AGENT_PLUGINS, createRealAgentEnv, realAgentConfig, type RealAgentEnv } from './real-agent-env.js';

interface CliCase {
  cli: AgentCliName;
  agentConfig: string;
  shell: (command: string) => ScriptedToolCall;
  /** The CLI's question tool, when it has one outside a special mode. */
  question?: ScriptedToolCall;
  /** Its transcript tells when a turn ends, so a closing question is seen behind the prompt. */
  transcript: boolean;
  /** Two ways to say no (a label or letter, and a number), and one to say yes. */
  no: [string, string];
  yes: string;
}

const colors = [
  { label: 'Red', description: 'warm' },
  { label: 'Blue', description: 'cool' },
];

const CASES: CliCase[] = [
  {
    cli: 'claude',
    agentConfig: '',
    shell: (command) => ({ name: 'Bash', input: { command, description: 'Touch the file' } }),
    question: { name: 'AskUserQuestion', input: { questions: [{ question: 'Which color?', header: 'Color', multiSelect: false, options: colors }] } },
    transcript: true,
    no: ['No', '3'],
    yes: 'yes',
  },
  {
    cli: 'codex',
    // No shared background server: it would outlive the session.
    agentConfig: "  codex: { plugin: codex, approvals: full-auto, extraArgs: ['--no-daemon'] }\n",
    // Escalation makes Codex ask, whatever its sandbox would allow.
    shell: (cmd) => ({ name: 'exec_command', input: { cmd, sandbox_permissions: 'require_escalated', justification: 'Touch the file?' } }),
    transcript: true,
    no: ['n', '3'],
    yes: 'y',
  },
  {
    cli: 'opencode',
    agentConfig: '',
    shell: (command) => ({ name: 'bash', input: { command, description: 'Touch the file' } }),
    question: { name: 'question', input: { questions: [{ question: 'Which color?', header: 'Color', options: colors }] } },
    transcript: false,
    no: ['Reject', '3'],
    yes: 'Allow once',
  },
];

it('tests the very versions the agent plugins say they were verified against', () => {
  expect(AGENT_CLI_PACKAGES.claude.version).toBe(CLAUDE_VERIFIED);
  expect(AGENT_CLI_PACKAGES.codex.version).toBe(CODEX_VERIFIED);
  expect(AGENT_CLI_PACKAGES.opencode.version).toBe(OPENCODE_VERIFIED);
});

for (const c of CASES) {
  describe(`${c.cli} (real CLI)`, () => {
    let real: RealAgentEnv;
    let server: ModelServer;
    let env: Record<string, string>;
    let id: string;
    const names = { no1: '', no2: '', yes: '', reaction: '' };
    let workspace = '';
    const file = (name: string) => join(workspace, name);

    const ao = async (...args: string[]) => real.ao(...args);
    const activity = async (): Promise<{ activity: string; detail: string | null }> => {
      const r = await ao('status', '--json');
      const s = (JSON.parse(r.stdout) as { id: string; activity: string; activityDetail: string | null }[]).find((x) => x.id === id);
      return { activity: s?.activity ?? 'missing', detail: s?.activityDetail ?? null };
    };
    const screen = (): string => real.screen(id);
    const waitForMenu = () =>
      vi.waitFor(
        async () => {
          const a = await activity();
          if (a.activity !== 'waiting_input') throw new Error(`activity is ${a.activity} (${a.detail ?? ''}), not waiting_input; the screen:\n${screen()}\nmodel requests: ${JSON.stringify(server.turns.map((t) => t.newUserText.slice(0, 60)))}`);
          return a;
        },
        { timeout: 90_000, interval: 250 },
      );
    // Idle, and the screen the same on five polls running: the next message goes to a CLI that has
    // finished with the last answer (Claude Code redraws for a while after a denied prompt).
    const waitForNoMenu = () => {
      let last = '';
      let same = 0;
      return vi.waitFor(
        async () => {
          const a = await activity();
          const now = screen();
          same = now === last ? same + 1 : 0;
          const settled = same >= 4;
          last = now;
          if (a.activity === 'waiting_input' || a.activity === 'active') throw new Error(`activity is ${a.activity} (${a.detail ?? ''}); the screen:\n${now}`);
          if (!settled) throw new Error('the screen is still changing');
        },
        { timeout: 90_000, interval: 250 },
      );
    };

    /**
     * Sends a prompt and waits until the model has it. Should the CLI drop the Enter and keep the
     * prompt in its input box, ao itself presses Enter again, only on a settled screen (see
     * delivery.ts `confirmSubmitted`): an Enter pressed while a taken prompt is still drawn in the
     * box would confirm the highlighted "1. Yes" of the permission menu its reply brings up (Claude
     * Code then ran the `touch` the test denies, why its cases were once out of this matrix).
     */
    const sendPrompt = async (text: string): Promise<void> => {
      const r = await ao('send', id, text);
      expect(r.code, r.stderr).toBe(0);
      await vi.waitFor(
        () => {
          if (!server.turns.some((t) => t.lastUserText.includes(text) || t.newUserText.includes(text))) throw new Error(`the model has not received "${text}"; the screen:\n${screen()}`);
        },
        { timeout: 90_000, interval: 250 },
      );
    };

    beforeAll(async () => {
      // Relative paths, inside the workspace: no CLI asks about a directory outside it first.
      const tag = randomBytes(4).toString('hex');
      names.no1 = `no1-${tag}`;
      names.no2 = `no2-${tag}`;
      names.yes = `yes-${tag}`;
      names.reaction = `reaction-${tag}`;
      real = await createRealAgentEnv({
        cli: c.cli,
        prefix: `ao-real-${c.cli}-`,
        script: (turn) => {
          if (turn.tools.length === 0) return { text: 'Scripted title' };
          const touch = /touch (\S+)/.exec(turn.newUserText);
          if (touch?.[1]) return { text: 'Creating it.', toolCalls: [c.shell(`touch ${touch[1]}`)] };
          if (/ask me/.test(turn.newUserText) && c.question) return { toolCalls: [c.question] };
          if (/plan it/.test(turn.newUserText)) return { text: 'I would rewrite the parser.\nShould I go ahead? (y/n)' };
          if (turn.toolResults.length) return { text: `Tool said: ${turn.toolResults.map((r) => r.output).join(' ').slice(0, 80)}` };
          return { text: 'Ready.' };
        },
      });
      // A private tmux server started by the first `ao spawn`: the agents get this environment.
      ({ server, env } = real);
      await real.writeConfig(realAgentConfig(AGENT_PLUGINS[c.cli], c.agentConfig ? `agents:\n${c.agentConfig}` : ''));
      const spawned = await ao('spawn', '--prompt', 'hello', '--json');
      expect(spawned.code, spawned.stderr).toBe(0);
      ({ id, workspacePath: workspace } = JSON.parse(spawned.stdout) as { id: string; workspacePath: string });
      expect(real.readinessTimeouts()).toEqual([]);
      // The first request once the agent sits idle at its prompt. (A prompt typed in at spawn was
      // sometimes lost by Claude Code while it was still starting: not what these tests are about.)
      await waitForNoMenu();
      await sendPrompt(`please touch ${names.no1}`);
    }, 600_000);

    afterAll(async () => {
      if (id) await ao('session', 'kill', id);
      await real?.cleanup();
    }, 60_000);

    it('shows the permission prompt as waiting_input; an answer that names no option is refused and nothing is sent', async () => {
      const waiting = await waitForMenu();
      expect(waiting.detail).toContain('1.');
      const r = await ao('send', id, 'maybe later');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('is none of its options');
      expect(r.stderr).toMatch(/1\. .*2\. .*3\. /);
      expect((await activity()).activity).toBe('waiting_input');
      expect(existsSync(file(names.no1))).toBe(false);
    }, 180_000);

    it(`"${c.no[0]}" denies: the command never runs`, async () => {
      await waitForMenu();
      const r = await ao('send', id, c.no[0]);
      expect(r.code, r.stderr).toBe(0);
      await waitForNoMenu();
      expect(existsSync(file(names.no1))).toBe(false);
    }, 180_000);

    it(`"${c.no[1]}" denies too`, async () => {
      await sendPrompt(`please touch ${names.no2}`);
      await waitForMenu();
      const r = await ao('send', id, c.no[1]);
      expect(r.code, r.stderr).toBe(0);
      await waitForNoMenu();
      expect(existsSync(file(names.no2))).toBe(false);
    }, 180_000);

    it("a reaction's message never answers the menu, even one that names an option", async () => {
      await sendPrompt(`please touch ${names.reaction}`);
      await waitForMenu();
      // The daemon's reactions send through the SessionManager with `menu: 'refuse'` (lifecycle/actions.ts).
      const core = await import('@ao/core');
      const { createRegistry } = await import('../src/context.js');
      const processEnv = { ...process.env, ...env };
      const registry = createRegistry();
      const config = await core.resolveConfig(core.loadConfig({ cwd: real.repo, env: processEnv }), registry, { env: processEnv });
      const paths = core.resolvePaths(processEnv);
      const saved = process.env.TMUX_TMPDIR;
      process.env.TMUX_TMPDIR = env.TMUX_TMPDIR; // the runtime's tmux calls find this test's server
      try {
        const manager = core.createSessionManager({ config, registry, store: core.createSessionStore(paths), paths, logger: core.silentLogger, clock: core.systemClock, exec: core.exec, env: processEnv });
        await expect(manager.send(id, '1', { menu: 'refuse' })).rejects.toMatchObject({ code: 'SESSION_STATE', message: expect.stringContaining('does not answer it for you') });
      } finally {
        process.env.TMUX_TMPDIR = saved;
      }
      expect((await activity()).activity).toBe('waiting_input');
      expect(existsSync(file(names.reaction))).toBe(false);
      expect((await ao('send', id, c.no[0])).code).toBe(0);
      await waitForNoMenu();
      expect(existsSync(file(names.reaction))).toBe(false);
    }, 180_000);

    it(`"${c.yes}" approves: the command runs`, async () => {
      await sendPrompt(`please touch ${names.yes}`);
      await waitForMenu();
      expect(existsSync(file(names.yes))).toBe(false);
      const r = await ao('send', id, c.yes);
      expect(r.code, r.stderr).toBe(0);
      await vi.waitFor(() => expect(existsSync(file(names.yes))).toBe(true), { timeout: 60_000, interval: 100 });
    }, 180_000);

    // Only CLIs that have a question menu outside a special mode get this test (not skipped: absent).
    if (c.question !== undefined) it('a question menu answered "2" chooses the second option', async () => {
      await waitForNoMenu();
      const before = server.turns.length;
      await sendPrompt('please ask me a question');
      const waiting = await waitForMenu();
      expect(waiting.detail).toContain('Which color?');
      const r = await ao('send', id, '2');
      expect(r.code, r.stderr).toBe(0);
      const answered = await server.waitForTurn((t) => t.index >= before && t.toolResults.length > 0, 60_000);
      expect(answered.toolResults[0]?.output).toContain('Blue');
      expect(answered.toolResults[0]?.output).not.toContain('Red');
    }, 180_000);

    if (c.transcript) it('a reply that ends on a question is waiting_input with the question; the answer goes in as text', async () => {
      await waitForNoMenu();
      await sendPrompt('plan it first');
      const waiting = await waitForMenu();
      expect(waiting.detail).toBe('asks: Should I go ahead? (y/n)');
      const before = server.turns.length;
      expect((await ao('send', id, 'y')).code).toBe(0);
      const answered = await server.waitForTurn((t) => t.index >= before && t.newUserText.trim() === 'y', 60_000);
      expect(answered.newUserText.trim()).toBe('y');
    }, 180_000);
  });
}
