import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPluginContext, type Agent } from '@ao/core/plugin';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import plugin, { worktreeGitRoots } from '../src/index.js';

let root: string;
let codexHome: string;
let workspace: string;
const ID = '019a2d7a-41c4-78b1-b7cc-a45d62a89cd5';

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ao-codex-'));
  codexHome = join(root, 'codex-home');
  workspace = join(root, 'ws', 'ao-3');
  await mkdir(workspace, { recursive: true });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function agent(config: Record<string, unknown> = {}, env: Record<string, string> = { CODEX_HOME: codexHome }): Promise<Agent> {
  const ctx = createPluginContext({ configDir: root, env: { HOME: join(root, 'home'), AO_HOME: join(root, 'ao'), ...env } });
  return plugin.create(plugin.configSchema.parse(config), ctx);
}

const ts = '2026-10-29T00:59:38.317Z';
const sessionMeta = (cwd: string, id = ID) => ({
  timestamp: ts,
  type: 'session_meta',
  payload: { id, timestamp: ts, cwd, originator: 'codex_cli_rs', cli_version: '0.46.0', instructions: null, source: 'cli', git: {} },
});
const ev = (payload: Record<string, unknown>) => ({ timestamp: ts, type: 'event_msg', payload });
const item = (payload: Record<string, unknown>) => ({ timestamp: ts, type: 'response_item', payload });
const turnContext = { timestamp: ts, type: 'turn_context', payload: { cwd: '/x', approval_policy: 'on-request', model: 'gpt-5-codex' } };
const userMsg = item({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'fix the bug' }] });
const started = ev({ type: 'task_started', model_context_window: 272000 });
const call = item({ type: 'function_call', name: 'shell', arguments: '{"command":["pnpm","test"]}', call_id: 'call_1' });
const output = item({ type: 'function_call_output', call_id: 'call_1', output: '{"output":"ok"}' });
const tokens = ev({ type: 'token_count', info: null, rate_limits: null });

/** Writes a rollout in today's sessions/YYYY/MM/DD, last modified `ageMs` before `now`. */
async function rollout(lines: unknown[], now: number, ageMs: number, name = `rollout-2026-10-29T00-59-38-${ID}.jsonl`): Promise<string> {
  const d = new Date(now);
  const dir = join(codexHome, 'sessions', String(d.getFullYear()), String(d.getMonth() + 1).padStart(2, '0'), String(d.getDate()).padStart(2, '0'));
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const t = new Date(now - ageMs);
  await utimes(path, t, t);
  return path;
}

const startedAt = Date.now() - 600_000;
const probe = (extra: Record<string, unknown> = {}) => ({ workspacePath: workspace, alive: true, startedAt, now: Date.now(), ...extra });

describe('codex launch', () => {
  it('keeps the prompt out of argv by default (typed in once codex is up), with no approval bypass', async () => {
    const prompt = "it's \"quoted\"\nand multi-line";
    const launch = await (await agent({ trustWorkspace: false })).launch({ sessionId: 'ao-1', workspacePath: workspace, prompt });
    expect(launch).toEqual({ argv: ['codex'], initialInput: prompt });
  });

  it('with prompt: arg, passes the prompt positional', async () => {
    const prompt = "it's \"quoted\"\nand multi-line";
    const launch = await (await agent({ prompt: 'arg', trustWorkspace: false })).launch({ sessionId: 'ao-1', workspacePath: workspace, prompt });
    expect(launch.argv).toEqual(['codex', prompt]);
    expect(launch.initialInput).toBeUndefined();
  });

  it('adds the sandboxed auto flags (not the removed --full-auto) or the bypass flag only when asked', async () => {
    const input = { sessionId: 'ao-1', workspacePath: workspace, prompt: 'p' };
    expect((await (await agent({ approvals: 'full-auto', prompt: 'arg', trustWorkspace: false })).launch(input)).argv).toEqual(['codex', '--sandbox', 'workspace-write', '--ask-for-approval', 'on-request', 'p']);
    expect((await (await agent({ approvals: 'bypass', prompt: 'arg', trustWorkspace: false })).launch(input)).argv).toEqual([
      'codex',
      '--dangerously-bypass-approvals-and-sandbox',
      'p',
    ]);
    const plain = (await (await agent({ approvals: 'ask' })).launch(input)).argv;
    expect(plain.some((a) => a.startsWith('--full-auto') || a.startsWith('--dangerously'))).toBe(false);
  });

  it('resumes with `codex resume <id>` and passes model and extra args', async () => {
    const a = await agent({ model: 'gpt-5-codex', extraArgs: ['-c', 'model_reasoning_effort=high'], prompt: 'arg', trustWorkspace: false });
    expect(a.canResume).toBe(true);
    const launch = await a.launch({ sessionId: 'ao-1', workspacePath: workspace, prompt: '-x please', resumeId: ID });
    expect(launch.argv).toEqual(['codex', 'resume', ID, '--model', 'gpt-5-codex', '-c', 'model_reasoning_effort=high', '--', '-x please']);
  });
  it("trusts ao's workspace and lets the sandbox write its worktree's git data, for this launch only", async () => {
    const repo = join(root, 'repo');
    const wt = join(root, 'worktrees', 'app', 'ao-4');
    const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd, stdio: 'pipe' });
    await mkdir(repo, { recursive: true });
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'init');
    git(repo, 'worktree', 'add', '-q', '-b', 'ao-4', wt);
    const gitDir = join(repo, '.git');
    expect(worktreeGitRoots(wt)).toEqual([join(gitDir, 'worktrees', 'ao-4'), join(gitDir, 'objects'), join(gitDir, 'refs'), join(gitDir, 'logs')]);
    // Never the main .git itself: its hooks and config would run outside the sandbox.
    expect(worktreeGitRoots(wt)).not.toContain(gitDir);
    // Spawn asks before it creates the worktree: the roots come from the project's repository then.
    const later = join(root, 'worktrees', 'app', 'ao-6');
    expect(worktreeGitRoots(later, repo)).toEqual([join(gitDir, 'worktrees', 'ao-6'), join(gitDir, 'objects'), join(gitDir, 'refs'), join(gitDir, 'logs')]);
    git(repo, 'worktree', 'add', '-q', '-b', 'ao-6', later);
    expect(worktreeGitRoots(later)).toEqual(worktreeGitRoots(later, repo));
    const launch = await (await agent()).launch({ sessionId: 'ao-4', workspacePath: wt });
    expect(launch.argv).toEqual(['codex', '-c', `projects={ ${JSON.stringify(wt)} = { trust_level = "trusted" } }`, ...worktreeGitRoots(wt).flatMap((d) => ['--add-dir', d])]);
    // A clone (or any directory that is not a linked worktree) gets the trust, and no extra roots.
    expect(worktreeGitRoots(repo)).toEqual([]);
    expect((await (await agent()).launch({ sessionId: 'ao-5', workspacePath: workspace })).argv).toEqual(['codex', '-c', `projects={ ${JSON.stringify(workspace)} = { trust_level = "trusted" } }`]);
  });
});

describe('codex activity from rollouts', () => {
  it('is active while a task runs and reports the session id from session_meta', async () => {
    const now = Date.now();
    await rollout([sessionMeta(workspace), userMsg, ev({ type: 'user_message', message: 'fix the bug' }), turnContext, started, tokens], now, 2_000);
    expect(await (await agent()).detectActivity(probe({ now }))).toMatchObject({
      activity: 'active',
      source: 'codex-rollout',
      nativeSessionId: ID,
    });
  });

  it('is active while a function call waits for its output', async () => {
    const now = Date.now();
    await rollout([sessionMeta(workspace), userMsg, started, call], now, 90_000);
    expect(await (await agent()).detectActivity(probe({ now }))).toMatchObject({ activity: 'active', detail: 'running shell' });
  });

  it('is waiting_input when the screen shows the approval question', async () => {
    const now = Date.now();
    await rollout([sessionMeta(workspace), userMsg, started, call], now, 20_000);
    const screen = 'Would you like to run the following command?\n\n$ pnpm test\n\n› 1. Yes, proceed (y)\n  2. No, and tell Codex what to do differently (esc)';
    expect(await (await agent()).detectActivity(probe({ now, screen, msSinceScreenChange: 20_000 }))).toMatchObject({
      activity: 'waiting_input',
      nativeSessionId: ID,
    });
  });

  it('is idle after task_complete, with the last message as detail', async () => {
    const now = Date.now();
    await rollout(
      [sessionMeta(workspace), userMsg, started, call, output, item({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Fixed.' }] }), ev({ type: 'task_complete', last_agent_message: 'Fixed the failing test.' }), tokens],
      now,
      1_000,
    );
    const report = await (await agent()).detectActivity(probe({ now }));
    expect(report).toMatchObject({ activity: 'idle', nativeSessionId: ID });
    expect(report.detail).toContain('Fixed the failing test.');
  });

  it('is idle after the user aborted the turn', async () => {
    const now = Date.now();
    await rollout([sessionMeta(workspace), userMsg, started, call, ev({ type: 'turn_aborted', reason: 'interrupted' })], now, 1_000);
    expect((await (await agent()).detectActivity(probe({ now }))).activity).toBe('idle');
  });

  it('treats an assistant reply without task_complete (older Codex) as idle once quiet', async () => {
    const now = Date.now();
    const lines = [sessionMeta(workspace), userMsg, ev({ type: 'agent_message', message: 'Done.' }), tokens];
    await rollout(lines, now, 3_000);
    expect((await (await agent()).detectActivity(probe({ now }))).activity).toBe('active');
    await rollout(lines, now, 40_000);
    expect((await (await agent()).detectActivity(probe({ now }))).activity).toBe('idle');
  });

  it('is blocked when the turn ended on an error such as a usage limit', async () => {
    const now = Date.now();
    await rollout([sessionMeta(workspace), userMsg, started, ev({ type: 'error', message: "You've hit your usage limit. Try again in 2 hours." })], now, 1_000);
    const report = await (await agent()).detectActivity(probe({ now }));
    expect(report).toMatchObject({ activity: 'blocked' });
    expect(report.detail).toMatch(/usage limit/);
  });

  it("picks the newest rollout whose cwd is this workspace, ignoring other workspaces' newer ones", async () => {
    const now = Date.now();
    await rollout([sessionMeta(workspace), userMsg, started], now, 5_000);
    await rollout([sessionMeta('/somewhere/else', 'other-id'), userMsg, ev({ type: 'task_complete', last_agent_message: 'x' })], now, 1_000, 'rollout-2026-10-29T01-00-00-other.jsonl');
    expect(await (await agent()).detectActivity(probe({ now }))).toMatchObject({ activity: 'active', nativeSessionId: ID });
  });

  it('finds rollouts under ~/.codex when CODEX_HOME is unset', async () => {
    const now = Date.now();
    codexHome = join(root, 'home', '.codex');
    await rollout([sessionMeta(workspace), userMsg, started], now, 1_000);
    expect((await (await agent({}, {})).detectActivity(probe({ now }))).source).toBe('codex-rollout');
  });

  it('falls back to the screen with no rollout for this session', async () => {
    const now = Date.now();
    await rollout([sessionMeta(workspace), userMsg, started], now, now - startedAt + 60_000); // older than the session
    const screen = '› Ask Codex to do anything\n\n  ⏎ send   ⌃J newline   ⌃T transcript   ⌃C quit   100% context left';
    expect(await (await agent()).detectActivity(probe({ now, screen, msSinceScreenChange: 30_000 }))).toMatchObject({
      activity: 'idle',
      source: 'screen',
    });
  });

  it('says exited when the process is gone', async () => {
    expect((await (await agent()).detectActivity(probe({ alive: false }))).activity).toBe('exited');
  });
});
