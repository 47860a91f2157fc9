import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPluginContext, type Agent } from '@ao/core/plugin';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import plugin, { AIDER_HISTORY_FILE } from '../src/index.js';

let workspace: string;
beforeEach(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'ao-aider-'));
});
afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
});

async function agent(config: Record<string, unknown> = {}): Promise<Agent> {
  const ctx = createPluginContext({ configDir: workspace, env: { HOME: workspace, AO_HOME: join(workspace, '.ao') } });
  return plugin.create(plugin.configSchema.parse(config), ctx);
}
const probe = (screen: string, msSinceScreenChange = 10_000, alive = true) => ({
  workspacePath: workspace,
  alive,
  screen,
  msSinceScreenChange,
  startedAt: 0,
  now: Date.now(),
});

describe('aider launch', () => {
  it('starts interactive aider and types the prompt in (initialInput), no --yes-always by default', async () => {
    const prompt = 'Fix "it"\nthen run tests';
    const launch = await (await agent()).launch({ sessionId: 'ao-1', workspacePath: workspace, prompt });
    expect(launch).toEqual({ argv: ['aider'], initialInput: prompt });
  });

  it('adds --yes-always only when asked, plus model and extra args', async () => {
    const launch = await (await agent({ yesAlways: true, model: 'sonnet', extraArgs: ['--no-auto-commits'] })).launch({
      sessionId: 'ao-1',
      workspacePath: workspace,
    });
    expect(launch.argv).toEqual(['aider', '--model', 'sonnet', '--yes-always', '--no-auto-commits']);
    expect(launch.initialInput).toBeUndefined();
  });

  it('resumes by restoring the chat history file', async () => {
    const a = await agent();
    expect(a.canResume).toBe(true);
    const history = join(workspace, AIDER_HISTORY_FILE);
    expect((await a.launch({ sessionId: 'ao-1', workspacePath: workspace, resumeId: history })).argv).toEqual([
      'aider',
      '--restore-chat-history',
      '--chat-history-file',
      history,
    ]);
  });
});

describe('aider activity from the screen', () => {
  const banner = 'Aider v0.86.1\nMain model: anthropic/claude-sonnet-4 with diff edit format\nGit repo: .git with 12 files\nRepo-map: using 4096 tokens\n';

  it('is idle at its > prompt and active while the screen changes', async () => {
    const a = await agent();
    expect(await a.detectActivity(probe(`${banner}\n> `))).toMatchObject({ activity: 'idle', source: 'screen' });
    expect((await a.detectActivity(probe(`${banner}\narchitect> `))).activity).toBe('idle');
    expect((await a.detectActivity(probe(`${banner}\n> `, 800))).activity).toBe('active');
    expect((await a.detectActivity(probe(`${banner}\nEditing src/app.py\n<<<<<<< SEARCH`))).activity).toBe('active');
  });

  it('is waiting_input on its (Y)es/(N)o questions', async () => {
    const screen = `${banner}\n> fix app.py\n\nsrc/app.py\nAdd file to the chat? (Y)es/(N)o/(D)on't ask again [Yes]: `;
    expect((await (await agent()).detectActivity(probe(screen, 200))).activity).toBe('waiting_input');
  });

  it('is blocked on a rate limit or bad key left on screen', async () => {
    const screen = `${banner}\nlitellm.RateLimitError: AnthropicException - rate_limit_error\nRetrying in 32.0 seconds...`;
    expect((await (await agent()).detectActivity(probe(screen, 20_000))).activity).toBe('blocked');
  });

  it('reports the chat history file as the conversation id once it exists', async () => {
    const a = await agent();
    expect((await a.detectActivity(probe('> '))).nativeSessionId).toBeUndefined();
    await writeFile(join(workspace, AIDER_HISTORY_FILE), '# aider chat started at 2026-01-01\n');
    expect((await a.detectActivity(probe('> '))).nativeSessionId).toBe(join(workspace, AIDER_HISTORY_FILE));
  });

  it('says exited when the process is gone', async () => {
    expect((await (await agent()).detectActivity(probe('> ', 0, false))).activity).toBe('exited');
  });
});
