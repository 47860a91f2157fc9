import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmuxSessionName } from '@ao/plugin-runtime-tmux';
import { fakeAgentArgv } from '@ao/testkit/fake-agent';
import { createTempDir, createTempRepo } from '@ao/testkit/temp-repo';
import { vi } from 'vitest';
import { runAo, runAoAsync, type AoResult } from './run-ao.js';

export interface SessionEnv {
  repo: string;
  home: string;
  log: string;
  ao(...args: string[]): AoResult;
  /** Runs ao without waiting, to start many at once. */
  aoAsync(...args: string[]): Promise<AoResult>;
  received(): string[];
  tmuxName(sessionId: string): string;
  /** What the session's tmux pane shows now. */
  screen(sessionId: string): string;
  writeConfig(extra?: string, agentArgs?: string[]): void;
  cleanup(): Promise<void>;
}

/** A real git repo, a private AO_HOME and a config whose default agent is the scripted fake agent. */
export async function createSessionEnv(): Promise<SessionEnv> {
  const repo = await createTempRepo({ branch: 'main', files: { 'README.md': '# app\n' } });
  const dir = await createTempDir('ao-cli-sessions-');
  const home = join(dir.path, 'home');
  const log = join(dir.path, 'fake-agent.jsonl');
  const env = { AO_HOME: home };
  const writeConfig = (extra = '', agentArgs: string[] = []): void => {
    const argv = fakeAgentArgv(['--log', log, ...agentArgs]);
    writeFileSync(
      join(repo.path, 'agent-orchestrator.yaml'),
      `defaults:\n  runtime: tmux\n  agent: fake\nprojects:\n  app:\n    path: .\n    defaultBranch: main\nagents:\n  fake: { command: ${JSON.stringify(argv)}, prompt: arg }\n${extra}`,
    );
  };
  writeConfig();
  return {
    repo: repo.path,
    home,
    log,
    writeConfig,
    ao: (...args) => runAo(args, { cwd: repo.path, env }),
    aoAsync: (...args) => runAoAsync(args, { cwd: repo.path, env }),
    received: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as { type: string; text?: string })
            .filter((e) => e.type === 'received')
            .map((e) => e.text ?? '')
        : [],
    tmuxName: (id) => tmuxSessionName(home, id),
    screen: (id) => execFileSync('tmux', ['capture-pane', '-p', '-t', `=${tmuxSessionName(home, id)}:`], { encoding: 'utf8' }),
    async cleanup() {
      // Kill every tmux session this data dir made, then the temp dirs.
      const prefix = tmuxSessionName(home, '');
      let names: string[] = [];
      try {
        names = execFileSync('tmux', ['list-sessions', '-F', '#{session_name}'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
      } catch {
        // no server
      }
      for (const n of names.filter((x) => x.startsWith(prefix))) {
        try {
          execFileSync('tmux', ['kill-session', '-t', `=${n}`], { stdio: 'ignore' });
        } catch {
          // already gone
        }
      }
      await repo.cleanup();
      await dir.cleanup();
    },
  };
}

/**
 * Waits until `check` returns true (the condition is the signal), failing after `ms` with an error
 * naming `what`. A boolean form of `vi.waitFor`, the one polling mechanism of the tests.
 */
export function until(check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  return vi.waitFor(
    () => {
      if (!check()) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    },
    { timeout: ms, interval: 50 },
  );
}
