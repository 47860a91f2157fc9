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
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRealAgentEnv, realAgentConfig, type RealAgentEnv } from './real-agent-env.js';

let real: RealAgentEnv | undefined;
const ao = (...args: string[]) => (real as RealAgentEnv).ao(...args);
const screen = (id: string) => (real as RealAgentEnv).screen(id);

afterEach(async () => {
  await real?.cleanup();
  real = undefined;
}, 60_000);

describe('claude-code (real CLI), unattended', () => {
  it("works in ao's workspace with no folder trusted by the user: ao records trust for it, and nothing else of the user's", async () => {
    // No folder trusted: not ao's worktrees, not the repository.
    real = await createRealAgentEnv({ cli: 'claude', prefix: 'ao-unattended-', trusted: [], script: (turn) => (turn.tools.length === 0 ? { text: 'Scripted title' } : { text: 'Ready.' }) });
    const { server } = real;
    const home = join(real.dir.path, 'home');
    await real.writeConfig(realAgentConfig('claude-code'));
    const before = JSON.parse(await readFile(join(home, '.claude.json'), 'utf8')) as Record<string, unknown>;
    expect(before.projects).toEqual({});
    const spawned = await ao('spawn', '--prompt', 'hello from ao', '--json');
    expect(spawned.code, spawned.stderr).toBe(0);
    const { id, workspacePath } = JSON.parse(spawned.stdout) as { id: string; workspacePath: string };
    expect(real.readinessTimeouts()).toEqual([]);
    // The prompt reaches the model: no dialog stopped Claude Code in the workspace.
    await real.waitForTurn(id, (t) => t.tools.length > 0 && t.newUserText.includes('hello from ao'));
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
    real = await createRealAgentEnv({
      cli: 'codex',
      prefix: 'ao-unattended-',
      trusted: [],
      script: (turn) => {
        if (turn.tools.length === 0) return { text: 'Scripted title' };
        if (turn.toolResults.length) return { text: `Tool said: ${turn.toolResults.map((r) => r.output).join(' ').slice(0, 400)}` };
        if (/commit/.test(turn.newUserText)) {
          // No escalation asked for: the command runs in Codex's own sandbox, as a model's would.
          return { text: 'Committing.', toolCalls: [{ name: 'exec_command', input: { cmd: 'echo agent >> notes.txt && git add notes.txt && git commit -q -m "agent commit" && echo COMMITTED' } }] };
        }
        return { text: 'Ready.' };
      },
    });
    const { server, repo } = real;
    const home = join(real.dir.path, 'home');
    // The user's choice, kept: nothing under /tmp is writable unless ao adds it (the repository is in /tmp here).
    await appendFile(join(home, '.codex', 'config.toml'), '[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n');
    const configBefore = await readFile(join(home, '.codex', 'config.toml'), 'utf8');
    await real.writeConfig(realAgentConfig('codex', "agents:\n  codex: { plugin: codex, extraArgs: ['--no-daemon'] }\n"));
    const spawned = await ao('spawn', '--prompt', 'please commit a note', '--json');
    expect(spawned.code, spawned.stderr).toBe(0);
    const { id, branch } = JSON.parse(spawned.stdout) as { id: string; branch: string };
    expect(real.readinessTimeouts()).toEqual([]);
    const done = await real.waitForTurn(id, (t) => t.toolResults.length > 0);
    expect(done.toolResults.map((r) => r.output).join(' '), screen(id)).toContain('COMMITTED');
    await vi.waitFor(() => expect(execFileSync('git', ['log', '--format=%s', `main..${branch}`], { cwd: repo, encoding: 'utf8' }).trim()).toBe('agent commit'), { timeout: 10_000, interval: 100 });
    // Per launch only: no trust or sandbox root was written to the user's config.toml (Codex adds its own TUI notes).
    const configAfter = await readFile(join(home, '.codex', 'config.toml'), 'utf8');
    expect(configAfter.startsWith(configBefore)).toBe(true);
    expect(configAfter).not.toMatch(/trust_level|writable_roots|\[projects/);
    await ao('session', 'kill', id);
  }, 300_000);
});
