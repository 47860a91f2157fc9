import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flushLogs } from '@ao/core';
import { createPluginContext, type Agent } from '@ao/core/plugin';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import plugin, { claudeProjectDir } from '../src/index.js';

let root: string;
let claudeHome: string;
let workspace: string;
const SESSION = '4f35e220-c435-4cf7-b9b9-f40426042847';

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ao-claude-'));
  claudeHome = join(root, 'claude-home');
  workspace = join(root, 'worktrees', 'proj_1', 'ao-7');
  await mkdir(workspace, { recursive: true });
});
afterEach(async () => {
  // The plugin's file logger (under root) opens its file after the first line: let it finish first.
  await flushLogs();
  await rm(root, { recursive: true, force: true });
});

async function agent(config: Record<string, unknown> = {}, env: Record<string, string> = {}): Promise<Agent> {
  const ctx = createPluginContext({ configDir: root, env: { HOME: join(root, 'home'), AO_HOME: join(root, 'ao'), ...env } });
  return plugin.create(plugin.configSchema.parse({ claudeHome, ...config }), ctx);
}

// Records shaped like Claude Code's (fields trimmed to what matters plus the usual metadata).
const meta = { sessionId: SESSION, cwd: '', version: '2.1.12', userType: 'external', isSidechain: false };
const user = (content: unknown) => ({ ...meta, type: 'user', timestamp: '2026-01-20T11:57:17.716Z', message: { role: 'user', content } });
const assistant = (content: unknown[], extra: Record<string, unknown> = {}, stop: string | null = null) => ({
  ...meta,
  type: 'assistant',
  timestamp: '2026-01-20T11:57:20.000Z',
  message: { id: 'msg_01', role: 'assistant', model: 'claude-sonnet-4', content, stop_reason: stop },
  ...extra,
});
const toolUse = { type: 'tool_use', id: 'toolu_01', name: 'Bash', input: { command: 'pnpm test' } };
const toolResult = { type: 'tool_result', tool_use_id: 'toolu_01', content: 'ok' };

/** Writes a transcript for the workspace, last modified `ageMs` before `now`. */
async function transcript(records: unknown[], now: number, ageMs: number, name = SESSION): Promise<string> {
  const dir = claudeProjectDir(claudeHome, workspace);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.jsonl`);
  const lines = [{ type: 'summary', summary: 'Fix tests', leafUuid: 'x' }, ...records].map((r) => JSON.stringify({ ...(r as object), cwd: workspace }));
  await writeFile(path, `${lines.join('\n')}\n`);
  const t = new Date(now - ageMs);
  await utimes(path, t, t);
  return path;
}

const startedAt = Date.now() - 600_000;
const probe = (extra: Record<string, unknown> = {}) => ({ workspacePath: workspace, alive: true, startedAt, now: Date.now(), ...extra });

describe('claude-code launch: trust for its own workspace', () => {
  const stateFile = () => join(root, 'home', '.claude.json');
  const userState = {
    hasCompletedOnboarding: true,
    customApiKeyResponses: { approved: [], rejected: ['abcdefghij0123456789'] },
    oauthAccount: { emailAddress: 'me@example.com' },
    projects: { '/home/me/src/app': { hasTrustDialogAccepted: false, allowedTools: ['Bash(ls)'] } },
    numStartups: 12,
  };

  it("records hasTrustDialogAccepted for the workspace before launch and keeps every other key as the user's", async () => {
    await mkdir(join(root, 'home'), { recursive: true });
    await writeFile(stateFile(), JSON.stringify(userState));
    await chmod(stateFile(), 0o644);
    await (await agent()).launch({ sessionId: 'ao-7', workspacePath: workspace, prompt: 'p' });
    const state = JSON.parse(await readFile(stateFile(), 'utf8')) as typeof userState & { projects: Record<string, unknown> };
    expect(state.projects[workspace]).toEqual({ hasTrustDialogAccepted: true });
    // The user's answers stay theirs: onboarding, the API-key answer, login, other folders' trust.
    expect({ ...state, projects: { ...state.projects, [workspace]: undefined } }).toEqual({ ...userState, projects: { ...userState.projects, [workspace]: undefined } });
    expect((await stat(stateFile())).mode & 0o777).toBe(0o644);
    expect((await readdir(join(root, 'home'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('writes nothing when the workspace is trusted already, or when trustWorkspace is false', async () => {
    await mkdir(join(root, 'home'), { recursive: true });
    const trusted = JSON.stringify({ ...userState, projects: { [workspace]: { hasTrustDialogAccepted: true, lastCost: 1 } } });
    await writeFile(stateFile(), trusted);
    await (await agent()).launch({ sessionId: 'ao-7', workspacePath: workspace });
    expect(await readFile(stateFile(), 'utf8')).toBe(trusted);
    await writeFile(stateFile(), JSON.stringify(userState));
    await (await agent({ trustWorkspace: false })).launch({ sessionId: 'ao-7', workspacePath: workspace });
    expect(await readFile(stateFile(), 'utf8')).toBe(JSON.stringify(userState));
  });

  it('leaves a state file it cannot read as it is (Claude Code then asks a human), and creates a missing one under CLAUDE_CONFIG_DIR', async () => {
    await mkdir(join(root, 'home'), { recursive: true });
    await writeFile(stateFile(), '{ "projects": {');
    const launch = await (await agent()).launch({ sessionId: 'ao-7', workspacePath: workspace });
    expect(launch.argv[0]).toBe('claude');
    expect(await readFile(stateFile(), 'utf8')).toBe('{ "projects": {');
    const configDir = join(root, 'claude-config');
    await (await agent({}, { CLAUDE_CONFIG_DIR: configDir })).launch({ sessionId: 'ao-7', workspacePath: workspace });
    expect(JSON.parse(await readFile(join(configDir, '.claude.json'), 'utf8'))).toEqual({ projects: { [workspace]: { hasTrustDialogAccepted: true } } });
  });
});

describe('claude-code launch', () => {
  it('keeps the prompt out of argv (every local user can read argv): it is typed in once claude is up', async () => {
    const prompt = 'Fix "the" bug\nin $(whoami) and `ls`\n';
    const launch = await (await agent()).launch({ sessionId: 'ao-1', workspacePath: workspace, prompt });
    expect(launch.argv).toEqual(['claude']);
    expect(launch.initialInput).toBe(prompt);
  });

  it('with prompt: arg, passes the prompt as one positional argument', async () => {
    const prompt = 'Fix "the" bug\nin $(whoami) and `ls`\n';
    const launch = await (await agent({ prompt: 'arg' })).launch({ sessionId: 'ao-1', workspacePath: workspace, prompt });
    expect(launch.argv).toEqual(['claude', prompt]);
    expect(launch.initialInput).toBeUndefined();
  });

  it('adds --dangerously-skip-permissions only when skipPermissions is true', async () => {
    const on = await (await agent({ skipPermissions: true, prompt: 'arg' })).launch({ sessionId: 'ao-1', workspacePath: workspace, prompt: 'p' });
    expect(on.argv).toEqual(['claude', '--dangerously-skip-permissions', 'p']);
    const off = await (await agent({ skipPermissions: false })).launch({ sessionId: 'ao-1', workspacePath: workspace, prompt: 'p' });
    expect(off.argv).not.toContain('--dangerously-skip-permissions');
  });

  it('passes model, extra args and --resume, and protects a prompt that looks like a flag', async () => {
    const a = await agent({ model: 'opus', extraArgs: ['--verbose'], prompt: 'arg' });
    expect(a.canResume).toBe(true);
    const launch = await a.launch({ sessionId: 'ao-1', workspacePath: workspace, prompt: '--help me', resumeId: SESSION });
    expect(launch.argv).toEqual(['claude', '--model', 'opus', '--resume', SESSION, '--verbose', '--', '--help me']);
    expect((await a.launch({ sessionId: 'ao-1', workspacePath: workspace })).argv).toEqual(['claude', '--model', 'opus', '--verbose']);
  });

  it('rejects unknown config keys', () => {
    expect(plugin.configSchema.safeParse({ skipPermission: true }).success).toBe(false);
  });
});

describe('claude-code activity from the transcript', () => {
  it('finds the transcript in <claude home>/projects/<cwd with non-alphanumerics as dashes>', () => {
    expect(claudeProjectDir('/h/.claude', '/Users/me/my_proj.v2')).toBe('/h/.claude/projects/-Users-me-my-proj-v2');
  });

  it('is active right after the prompt went in, and reports the session id', async () => {
    const now = Date.now();
    await transcript([user('Fix the failing test')], now, 1_000);
    expect(await (await agent()).detectActivity(probe({ now }))).toMatchObject({
      activity: 'active',
      source: 'claude-jsonl',
      nativeSessionId: SESSION,
    });
  });

  it('is active while a tool runs, however long it takes', async () => {
    const now = Date.now();
    await transcript([user('go'), assistant([toolUse])], now, 120_000);
    const report = await (await agent()).detectActivity(probe({ now, screen: '⏺ Bash(pnpm test)\n  ⎿  Running…', msSinceScreenChange: 120_000 }));
    expect(report).toMatchObject({ activity: 'active', detail: 'running tool Bash' });
  });

  it('is waiting_input when a tool call waits on the permission menu', async () => {
    const now = Date.now();
    await transcript([user('go'), assistant([{ type: 'text', text: 'Running tests.' }, toolUse])], now, 10_000);
    const screen = ' Bash command\n   pnpm test\n Do you want to proceed?\n ❯ 1. Yes\n   2. Yes, and don\'t ask again\n   3. No (esc)\n';
    const report = await (await agent()).detectActivity(probe({ now, screen, msSinceScreenChange: 10_000 }));
    expect(report).toMatchObject({ activity: 'waiting_input', source: 'claude-jsonl', nativeSessionId: SESSION });
  });

  it('is active again once the tool result is in', async () => {
    const now = Date.now();
    await transcript([user('go'), assistant([toolUse]), user([toolResult])], now, 2_000);
    expect(await (await agent()).detectActivity(probe({ now }))).toMatchObject({ activity: 'active', detail: 'tool finished' });
  });

  it('is idle when the reply was written before the record of the prompt it answers (as Claude Code 2.1 does)', async () => {
    const now = Date.now();
    const prompt = { ...user('hello'), uuid: 'prompt-1' };
    const reply = assistant([{ type: 'text', text: 'Ready.' }], { uuid: 'reply-1', parentUuid: 'prompt-1' }, 'end_turn');
    await transcript([reply, prompt], now, 1_000);
    expect(await (await agent()).detectActivity(probe({ now }))).toMatchObject({ activity: 'idle', nativeSessionId: SESSION });
  });

  it('is idle when the turn ended with end_turn', async () => {
    const now = Date.now();
    await transcript([user('go'), assistant([toolUse]), user([toolResult]), assistant([{ type: 'text', text: 'Done.' }], {}, 'end_turn')], now, 1_000);
    expect(await (await agent()).detectActivity(probe({ now }))).toMatchObject({ activity: 'idle', nativeSessionId: SESSION });
  });

  it('treats a reply without stop_reason as idle only once the file is quiet', async () => {
    const now = Date.now();
    const records = [user('go'), assistant([{ type: 'text', text: 'Done.' }])];
    await transcript(records, now, 5_000);
    expect((await (await agent()).detectActivity(probe({ now }))).activity).toBe('active');
    await transcript(records, now, 45_000);
    expect((await (await agent()).detectActivity(probe({ now }))).activity).toBe('idle');
  });

  it('is idle after the user interrupted', async () => {
    const now = Date.now();
    await transcript([user('go'), assistant([toolUse]), user([{ type: 'text', text: '[Request interrupted by user for tool use]' }])], now, 1_000);
    expect((await (await agent()).detectActivity(probe({ now }))).activity).toBe('idle');
  });

  it('is blocked when the turn died on a rate limit or expired login', async () => {
    const now = Date.now();
    const limit = assistant([{ type: 'text', text: "You've hit your session limit · resets 9:50pm" }], { isApiErrorMessage: true, error: 'rate_limit', apiErrorStatus: 429 }, 'stop_sequence');
    await transcript([user('go'), limit], now, 1_000);
    const report = await (await agent()).detectActivity(probe({ now }));
    expect(report).toMatchObject({ activity: 'blocked', source: 'claude-jsonl' });
    expect(report.detail).toMatch(/rate_limit/);
  });

  it('ignores sidechain, meta and snapshot records when judging the turn', async () => {
    const now = Date.now();
    await transcript(
      [
        user('go'),
        assistant([{ type: 'text', text: 'Done.' }], {}, 'end_turn'),
        { type: 'file-history-snapshot', messageId: 'm', snapshot: {} },
        { ...user('Caveat: local command output'), isMeta: true },
      ],
      now,
      1_000,
    );
    expect((await (await agent()).detectActivity(probe({ now }))).activity).toBe('idle');
  });

  it('reads the newest transcript of the workspace', async () => {
    const now = Date.now();
    await transcript([user('old'), assistant([{ type: 'text', text: 'x' }], {}, 'end_turn')], now, 200_000, 'aaaaaaaa-0000-0000-0000-000000000000');
    await transcript([user('go')], now, 1_000);
    expect(await (await agent()).detectActivity(probe({ now }))).toMatchObject({ activity: 'active', nativeSessionId: SESSION });
  });

  it('uses CLAUDE_CONFIG_DIR when no claudeHome is configured', async () => {
    const now = Date.now();
    await transcript([user('go')], now, 1_000);
    const ctx = createPluginContext({ configDir: root, env: { HOME: join(root, 'home'), AO_HOME: join(root, 'ao'), CLAUDE_CONFIG_DIR: claudeHome } });
    const a = await plugin.create(plugin.configSchema.parse({}), ctx);
    expect((await a.detectActivity(probe({ now }))).source).toBe('claude-jsonl');
  });
});

describe('claude-code activity without a transcript', () => {
  it('falls back to the screen before the transcript exists (e.g. the folder-trust question)', async () => {
    const screen = ' Do you trust the files in this folder?\n\n ❯ 1. Yes, proceed\n   2. No, exit\n';
    expect(await (await agent()).detectActivity(probe({ screen, msSinceScreenChange: 1_000 }))).toMatchObject({
      activity: 'waiting_input',
      source: 'screen',
    });
  });

  it('ignores transcripts older than the session', async () => {
    const now = Date.now();
    await transcript([user('go')], now, now - startedAt + 60_000);
    const screen = '╭────────╮\n│ >      │\n╰────────╯\n  ? for shortcuts\n';
    expect(await (await agent()).detectActivity(probe({ now, screen, msSinceScreenChange: 10_000 }))).toMatchObject({
      activity: 'idle',
      source: 'screen',
    });
  });

  it('says exited when the process is gone', async () => {
    const now = Date.now();
    await transcript([user('go')], now, 1_000);
    expect((await (await agent()).detectActivity(probe({ now, alive: false }))).activity).toBe('exited');
  });
});
