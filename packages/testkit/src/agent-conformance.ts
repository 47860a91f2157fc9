/**
 * The conformance suite every agent plugin runs (Claude Code, Codex, OpenCode, Aider, command,
 * third-party ones): what the `Agent` contract promises, checked on the plugin as configured, with
 * the screens its CLI really draws (captured from the real CLI, kept as fixtures by the plugin).
 *
 *   agentConformance('codex', async () => {
 *     const home = await createTempDir('codex-home-');
 *     return {
 *       agent: await plugin.create(plugin.configSchema.parse({ codexHome: home.path }), ctx),
 *       screens: { menus: [read('codex-approval.txt')], noMenu: [read('codex-idle.txt')] },
 *       cleanup: () => home.cleanup(),
 *     };
 *   });
 *
 * The agent must be configured so that it finds none of its own logs (an empty home): the suite
 * checks what it does when there are none. How the real CLI behaves with ao (prompts delivered,
 * menus answered, conversations resumed) is the real-CLI suites' job (packages/cli/test/real-agents*).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTIVITIES, KEY_NAMES, type ActivityProbe, type Agent, type AgentLaunch } from '@ao/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

export interface AgentUnderTest {
  agent: Agent;
  /** Screens captured from the real CLI. */
  screens?: {
    /** Each shows a menu (permission, question, dialog) that waits for a choice. */
    menus?: string[];
    /** Each shows no menu: the prompt, a reply, an answered menu. */
    noMenu?: string[];
  };
  cleanup?(): Promise<void>;
}

/** Screens no CLI draws, which nothing reading a screen may throw on. */
const HOSTILE_SCREENS: readonly string[] = [
  '',
  '\n\n\n',
  '\u001b[2J\u001b[H\u001b[31m❯ 1. Yes\u001b[0m\n\u001b]0;title\u0007',
  '1.\n2.\n3.\n❯\n',
  '❯ 1.  \n  2. \n',
  'Do you want to proceed?\n❯ 1. Yes\n',
  '\u0000\u0001\u0002\ufffd\ud83d\ude00'.repeat(50),
  `${'x'.repeat(5000)}\n`.repeat(20),
  Array.from({ length: 2000 }, (_, i) => `${i + 1}. option ${i}`).join('\n'),
  '│ │ │ ╭──╮ ╰──╯ ▌ █ ░'.repeat(100),
];

export function agentConformance(label: string, setup: () => Promise<AgentUnderTest>): void {
  describe(`agent conformance: ${label}`, () => {
    let under: AgentUnderTest | undefined;
    let workspace: string;

    beforeEach(async () => {
      workspace = await mkdtemp(join(tmpdir(), 'ao-agent-conf-'));
      under = await setup();
    });
    afterEach(async () => {
      await under?.cleanup?.();
      under = undefined;
      await rm(workspace, { recursive: true, force: true });
    });

    const agent = (): Agent => under!.agent;
    const launch = async (extra: Partial<Parameters<Agent['launch']>[0]> = {}): Promise<AgentLaunch> =>
      agent().launch({ sessionId: 'conf-1', workspacePath: workspace, ...extra });
    const probe = (over: Partial<ActivityProbe> = {}): ActivityProbe => ({
      workspacePath: workspace,
      alive: true,
      msSinceScreenChange: 60_000,
      startedAt: 0,
      now: 60_000,
      ...over,
    });

    it('launches with a program and string arguments, and its environment is strings', async () => {
      const { argv, env } = await launch();
      expect(argv.length).toBeGreaterThan(0);
      expect(argv[0]).toMatch(/\S/);
      for (const arg of argv) expect(typeof arg).toBe('string');
      for (const [key, value] of Object.entries(env ?? {})) {
        expect(key).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
        expect(typeof value).toBe('string');
      }
    });

    it('hands the first prompt over exactly once, byte for byte, and nothing when there is none', async () => {
      const prompt = `Fix issue #7: "quotes", $(not run) and\nnewlines; -leading-dash ${'é'.repeat(3)}`;
      const given = await launch({ prompt });
      const inArgv = given.argv.filter((arg) => arg.includes(prompt)).length;
      const typed = given.initialInput?.includes(prompt) ? 1 : 0;
      expect(inArgv + typed, `argv ${JSON.stringify(given.argv)}, initialInput ${JSON.stringify(given.initialInput)}`).toBe(1);
      const none = await launch();
      expect(none.initialInput ?? '').toBe('');
      expect(none.argv.some((arg) => arg.includes('Fix issue #7'))).toBe(false);
    });

    it('resumes only when it says it can, with the id it was given; an empty id is refused', async () => {
      if (agent().canResume) {
        const { argv } = await launch({ resumeId: 'conf-resume-7f3a' });
        expect(argv.some((arg) => arg.includes('conf-resume-7f3a'))).toBe(true);
        await expect(Promise.resolve().then(() => launch({ resumeId: '' }))).rejects.toMatchObject({ code: 'AGENT_FAILED' });
      } else {
        await expect(Promise.resolve().then(() => launch({ resumeId: 'conf-resume-7f3a' }))).rejects.toMatchObject({ code: 'AGENT_FAILED' });
      }
    });

    it('is exited when its process is gone, whatever the screen shows', async () => {
      for (const screen of [undefined, 'Working… (esc to interrupt)', ...(under!.screens?.menus ?? [])]) {
        expect((await agent().detectActivity(probe({ alive: false, ...(screen !== undefined ? { screen } : {}) }))).activity).toBe('exited');
      }
    });

    it('answers an activity for any screen, without a screen, and with no logs of its own', async () => {
      for (const screen of [undefined, ...HOSTILE_SCREENS]) {
        const report = await agent().detectActivity(probe(screen !== undefined ? { screen } : {}));
        expect(ACTIVITIES).toContain(report.activity);
        expect(report.activity).not.toBe('exited');
        expect(report.source).toMatch(/\S/);
      }
    });

    it('finds no usage and no trace when it has written no log', async () => {
      const log = { workspacePath: workspace, startedAt: 0, now: 60_000 };
      if (agent().readUsage) expect(await agent().readUsage!({ ...log, previous: {} })).toBeUndefined();
      if (agent().readTrace) expect(await agent().readTrace!(log)).toBeUndefined();
    });

    it('reads menus only together with the keys that answer them, and never throws on a screen', () => {
      const { readMenu, menuKeys } = agent();
      expect(Boolean(readMenu), 'readMenu and menuKeys come together').toBe(Boolean(menuKeys));
      if (!readMenu) {
        expect(under!.screens?.menus ?? [], 'menu screens given for an agent that reads no menus').toEqual([]);
        return;
      }
      for (const screen of HOSTILE_SCREENS) expect(() => readMenu.call(agent(), screen)).not.toThrow();
      for (const screen of under!.screens?.noMenu ?? []) expect(readMenu.call(agent(), screen)).toBeUndefined();
    });

    it('reads no input box while a menu shows (no Enter is pressed into a menu), and never throws on a screen', () => {
      const { readInput } = agent();
      if (!readInput) return;
      for (const screen of HOSTILE_SCREENS) expect(() => readInput.call(agent(), screen)).not.toThrow();
      for (const screen of under!.screens?.menus ?? []) expect(readInput.call(agent(), screen), `an input box read on a menu:\n${screen}`).toBeUndefined();
    });

    it('reads every menu its CLI draws, each option reachable by keys of its own, and calls it waiting_input', async () => {
      const screens = under!.screens?.menus ?? [];
      if (screens.length === 0) return;
      const { readMenu, menuKeys } = agent();
      expect(readMenu, 'menu screens given, so readMenu must read them').toBeDefined();
      for (const screen of screens) {
        const menu = readMenu!.call(agent(), screen);
        expect(menu, `no menu read from:\n${screen}`).toBeDefined();
        expect(menu!.prompt).toMatch(/\S/);
        expect(menu!.options.length).toBeGreaterThanOrEqual(2);
        expect(menu!.options.map((o) => o.number)).toEqual(menu!.options.map((_, i) => i + 1));
        const sequences = menu!.options.map((option) => {
          expect(option.label).toMatch(/\S/);
          const keys = menuKeys!.call(agent(), menu!, option);
          expect(keys.length, `no keys for "${option.label}"`).toBeGreaterThan(0);
          for (const key of keys) expect(key.length === 1 || KEY_NAMES.includes(key), `"${key}" is neither a character nor a key name`).toBe(true);
          return JSON.stringify(keys);
        });
        expect(new Set(sequences).size, `two options share keys: ${sequences.join(' ')}`).toBe(sequences.length);
        expect((await agent().detectActivity(probe({ screen }))).activity).toBe('waiting_input');
      }
    });
  });
}
