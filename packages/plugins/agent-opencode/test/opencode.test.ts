import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPluginContext, type Agent } from '@ao/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import plugin from '../src/index.js';

let root: string;
let workspace: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ao-opencode-'));
  workspace = join(root, 'ws', 'ao-2');
  await mkdir(workspace, { recursive: true });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function agent(config: Record<string, unknown> = {}): Promise<Agent> {
  const ctx = createPluginContext({ configDir: root, env: { HOME: join(root, 'home'), AO_HOME: join(root, 'ao'), XDG_DATA_HOME: join(root, 'xdg') } });
  return plugin.create(plugin.configSchema.parse(config), ctx);
}
const startedAt = Date.now() - 600_000;
const probe = (screen: string, msSinceScreenChange = 10_000, alive = true) => ({
  workspacePath: workspace,
  alive,
  screen,
  msSinceScreenChange,
  startedAt,
  now: Date.now(),
});

/** Writes an OpenCode session record under $XDG_DATA_HOME/opencode/storage/session/<project>/. */
async function sessionRecord(id: string, directory: string, ageMs: number, extra: Record<string, unknown> = {}): Promise<void> {
  const dir = join(root, 'xdg', 'opencode', 'storage', 'session', '4b0ea68d7af9a6031a7ffda7ad66e0cb83315750');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${id}.json`);
  const t = Date.now() - ageMs;
  await writeFile(path, JSON.stringify({ id, version: '1.0.0', projectID: 'p', directory, title: 'Fix', time: { created: t, updated: t }, ...extra }));
  await utimes(path, new Date(t), new Date(t));
}

describe('opencode launch', () => {
  it('starts the TUI and types the prompt in', async () => {
    const prompt = 'Fix "x"\nand y';
    expect(await (await agent()).launch({ sessionId: 'ao-1', workspacePath: workspace, prompt })).toEqual({
      argv: ['opencode'],
      initialInput: prompt,
    });
  });

  it('passes model, agent and extra args, and resumes with --session', async () => {
    const a = await agent({ model: 'anthropic/claude-sonnet-4', agent: 'build', extraArgs: ['--print-logs'] });
    expect(a.canResume).toBe(true);
    expect((await a.launch({ sessionId: 'ao-1', workspacePath: workspace, resumeId: 'ses_abc' })).argv).toEqual([
      'opencode',
      '--model',
      'anthropic/claude-sonnet-4',
      '--agent',
      'build',
      '--session',
      'ses_abc',
      '--print-logs',
    ]);
  });
});

describe('opencode activity', () => {
  it('is active while the screen changes or shows "esc interrupt", idle when quiet', async () => {
    const a = await agent();
    expect((await a.detectActivity(probe('  Build  claude-sonnet-4\n  ⠙ Working...  esc interrupt', 20_000))).activity).toBe('active');
    // OpenCode 1.18's screen after a turn (captured): its footer `ctrl+p commands` under the input box.
    const idle = readFileSync(join(import.meta.dirname, 'fixtures', 'opencode-idle.txt'), 'utf8');
    expect((await a.detectActivity(probe(idle, 800))).activity).toBe('active');
    expect(await a.detectActivity(probe(idle, 20_000))).toMatchObject({ activity: 'idle', source: 'screen' });
  });

  it('is waiting_input on a permission request', async () => {
    const screen = '△ Permission required\n  bash: rm -rf dist\n  Allow once   Allow always   Reject';
    expect((await (await agent()).detectActivity(probe(screen, 200))).activity).toBe('waiting_input');
  });

  it("reports the workspace's newest session id from OpenCode's storage", async () => {
    await sessionRecord('ses_old', workspace, 900_000); // before the ao session started
    await sessionRecord('ses_other', '/another/dir', 1_000);
    await sessionRecord('ses_child', workspace, 500, { parentID: 'ses_mine' }); // a subagent's session
    await sessionRecord('ses_mine', workspace, 5_000);
    expect((await (await agent()).detectActivity(probe('x'))).nativeSessionId).toBe('ses_mine');
  });

  it('says exited when the process is gone', async () => {
    expect((await (await agent()).detectActivity(probe('x', 0, false))).activity).toBe('exited');
  });
});
