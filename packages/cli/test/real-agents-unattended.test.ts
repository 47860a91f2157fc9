/**
 * Unattended first runs with the real agent CLIs (Claude Code, Codex at their pinned versions, see
 * `@ao/testkit/agent-clis`), run by ao in tmux against scripted model servers, in a fresh HOME where
 * the user has done what is theirs (a provider, onboarding, the API-key answer) and nothing of ao's:
 * no folder is trusted. ao sets up its own workspace, and nobody answers anything:
 * - Claude Code starts working in the workspace (no folder-trust dialog), and ~/.claude.json keeps
 *   every answer of the user's;
 * - Codex, under the default `approvals: ask`, commits on the session's branch from ao's worktree,
 *   whose git data lives in the main repository (its sandbox made that read-only; the user's own
 *   config here also keeps /tmp out of the sandbox, as on a machine whose repositories are elsewhere).
 */
import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureAgentClis, writeAgentHome } from '@ao/testkit/agent-clis';
import { startAnthropicServer, startResponsesServer, type ModelServer } from '@ao/testkit/model-servers';
import { createTempDir, createTempRepo, type TempDir } from '@ao/testkit/temp-repo';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runAoAsync } from './run-ao.js';

let binDir: string;
beforeAll(async () => {
  binDir = await ensureAgentClis();
}, 600_000);

let dir: TempDir;
let repo: { path: string; cleanup(): Promise<void> };
let server: ModelServer | undefined;
let env: Record<string, string>;
const ao = (...args: string[]) => runAoAsync(args, { cwd: repo.path, env });
const screen = (id: string): string => {
  try {
    const name = execFileSync('tmux', ['list-sessions', '-F', '#{session_name}'], { env: { ...process.env, TMUX_TMPDIR: env.TMUX_TMPDIR }, encoding: 'utf8' }).split('\n').find((n) => n.endsWith(id));
    return execFileSync('tmux', ['capture-pane', '-p', '-t', `=${name}:`], { env: { ...process.env, TMUX_TMPDIR: env.TMUX_TMPDIR }, encoding: 'utf8' });
  } catch (error) {
    return String(error);
  }
};

async function setUp(agent: string, agentConfig: string, agentEnv: Record<string, string>): Promise<void> {
  env = { ...agentEnv, AO_HOME: join(dir.path, 'ao'), TMUX_TMPDIR: join(dir.path, 'tmux'), PATH: `${binDir}:${process.env.PATH ?? ''}` };
  await mkdir(env.TMUX_TMPDIR as string, { recursive: true });
  await writeFile(join(repo.path, 'agent-orchestrator.yaml'), `defaults:\n  runtime: tmux\n  agent: ${agent}\nprojects:\n  app:\n    path: .\n    defaultBranch: main\n${agentConfig}`);
}

beforeEach(async () => {
  dir = await createTempDir('ao-unattended-');
  repo = await createTempRepo({ branch: 'main', files: { 'README.md': '# app\n' } });
});
afterEach(async () => {
  await runAoAsync(['stop', '--force'], { cwd: repo.path, env }).catch(() => undefined);
  try {
    execFileSync('tmux', ['kill-server'], { env: { ...process.env, TMUX_TMPDIR: env.TMUX_TMPDIR }, stdio: 'ignore' });
  } catch {
    // no server left
  }
  await server?.close();
  server = undefined;
  await repo.cleanup();
  await dir.cleanup();
}, 60_000);

describe('claude-code (real CLI), unattended', () => {
  it("works in ao's workspace with no folder trusted by the user: ao records trust for it, and nothing else of the user's", async () => {
    server = await startAnthropicServer((turn) => (turn.tools.length === 0 ? { text: 'Scripted title' } : { text: 'Ready.' }));
    const home = join(dir.path, 'home');
    await setUp('claude-code', '', await writeAgentHome('claude', { home, modelUrl: server.url, trusted: [] }));
    const before = JSON.parse(await readFile(join(home, '.claude.json'), 'utf8')) as Record<string, unknown>;
    expect(before.projects).toEqual({});
    const spawned = await ao('spawn', '--prompt', 'hello from ao', '--json');
    expect(spawned.code, spawned.stderr).toBe(0);
    const { id, workspacePath } = JSON.parse(spawned.stdout) as { id: string; workspacePath: string };
    // The prompt reaches the model: no dialog stopped Claude Code in the workspace.
    await server.waitForTurn((t) => t.tools.length > 0 && t.newUserText.includes('hello from ao'), 120_000).catch((error: unknown) => {
      throw new Error(`${String(error)}; the screen:\n${screen(id)}`);
    });
    expect(screen(id)).not.toMatch(/trust this folder|trust the files/i);
    const after = JSON.parse(await readFile(join(home, '.claude.json'), 'utf8')) as { projects: Record<string, { hasTrustDialogAccepted?: boolean }> } & Record<string, unknown>;
    expect(after.projects[workspacePath]?.hasTrustDialogAccepted).toBe(true);
    // The user's answers are untouched (Claude Code itself adds its own bookkeeping keys).
    expect(after.hasCompletedOnboarding).toBe(true);
    expect(after.customApiKeyResponses).toEqual(before.customApiKeyResponses);
    await ao('session', 'kill', id);
  }, 300_000);
});

describe('codex (real CLI), unattended', () => {
  it("commits on the session's branch from ao's worktree under the default approvals: ask, with nobody answering", async () => {
    server = await startResponsesServer((turn) => {
      if (turn.tools.length === 0) return { text: 'Scripted title' };
      if (turn.toolResults.length) return { text: `Tool said: ${turn.toolResults.map((r) => r.output).join(' ').slice(0, 400)}` };
      if (/commit/.test(turn.newUserText)) {
        // No escalation asked for: the command runs in Codex's own sandbox, as a model's would.
        return { text: 'Committing.', toolCalls: [{ name: 'exec_command', input: { cmd: 'echo agent >> notes.txt && git add notes.txt && git commit -q -m "agent commit" && echo COMMITTED' } }] };
      }
      return { text: 'Ready.' };
    });
    const home = join(dir.path, 'home');
    const agentEnv = await writeAgentHome('codex', { home, modelUrl: server.url, trusted: [] });
    // The user's choice, kept: nothing under /tmp is writable unless ao adds it (the repository is in /tmp here).
    await appendFile(join(home, '.codex', 'config.toml'), '[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n');
    const configBefore = await readFile(join(home, '.codex', 'config.toml'), 'utf8');
    await setUp('codex', "agents:\n  codex: { plugin: codex, extraArgs: ['--no-daemon'] }\n", agentEnv);
    const spawned = await ao('spawn', '--prompt', 'please commit a note', '--json');
    expect(spawned.code, spawned.stderr).toBe(0);
    const { id, branch } = JSON.parse(spawned.stdout) as { id: string; branch: string };
    const done = await server.waitForTurn((t) => t.toolResults.length > 0, 120_000).catch((error: unknown) => {
      throw new Error(`${String(error)}; the screen:\n${screen(id)}`);
    });
    expect(done.toolResults.map((r) => r.output).join(' '), screen(id)).toContain('COMMITTED');
    await vi.waitFor(() => expect(execFileSync('git', ['log', '--format=%s', `main..${branch}`], { cwd: repo.path, encoding: 'utf8' }).trim()).toBe('agent commit'), { timeout: 10_000, interval: 100 });
    // Per launch only: no trust or sandbox root was written to the user's config.toml (Codex adds its own TUI notes).
    const configAfter = await readFile(join(home, '.codex', 'config.toml'), 'utf8');
    expect(configAfter.startsWith(configBefore)).toBe(true);
    expect(configAfter).not.toMatch(/trust_level|writable_roots|\[projects/);
    await ao('session', 'kill', id);
  }, 300_000);
});
