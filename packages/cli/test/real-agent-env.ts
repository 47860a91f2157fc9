/**
 * One real agent CLI run by ao, for the real-CLI suites (real-agents*.test.ts): a temp dir and git
 * repo, the scripted model server speaking the CLI's protocol, a fresh HOME for the CLI pointed at
 * it (`writeAgentHome`), ao's data dir, a private tmux server and the pinned CLIs on the PATH.
 * `cleanup` stops what ao started there and removes it all.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmuxSessionName } from '@ao/plugin-runtime-tmux';
import { ensureAgentClis, writeAgentHome, type AgentCliName } from '@ao/testkit/agent-clis';
import { startAnthropicServer, startChatCompletionsServer, startResponsesServer, type ModelScript, type ModelServer, type ModelTurn } from '@ao/testkit/model-servers';
import { createTempDir, createTempRepo, type TempDir } from '@ao/testkit/temp-repo';
import { runAoAsync, type AoResult } from './run-ao.js';

/** The model server each CLI talks to: Anthropic's Messages API, OpenAI's Responses API, chat completions. */
export const MODEL_SERVERS: Record<AgentCliName, (script: ModelScript) => Promise<ModelServer>> = {
  claude: startAnthropicServer,
  codex: startResponsesServer,
  opencode: startChatCompletionsServer,
};

/** The agent plugin that runs each CLI. */
export const AGENT_PLUGINS: Record<AgentCliName, string> = { claude: 'claude-code', codex: 'codex', opencode: 'opencode' };

/** A config with one project `app` in the repo and `agent` as the default agent in tmux; `extra` is appended. */
export function realAgentConfig(agent: string, extra = ''): string {
  return `defaults:\n  runtime: tmux\n  agent: ${agent}\nprojects:\n  app:\n    path: .\n    defaultBranch: main\n${extra}`;
}

export interface RealAgentEnv {
  dir: TempDir;
  repo: string;
  server: ModelServer;
  /** The environment ao (and so the agent) runs with. */
  env: Record<string, string>;
  ao(...args: string[]): Promise<AoResult>;
  /** What session `id`'s tmux pane shows now (the error, when it cannot be read). */
  screen(id: string): string;
  writeConfig(yaml: string): Promise<void>;
  /**
   * ao's log lines saying an agent never showed its prompt: a spawn that waited out the readiness
   * timeout and typed the prompt in blind (how Codex's braille logo once cost every spawn 60 s).
   */
  readinessTimeouts(): string[];
  /**
   * The first model request matching `predicate`; on timeout the error shows what session `id`'s
   * pane shows, the messages ao logged for it and the requests the model did get.
   */
  waitForTurn(id: string, predicate: (turn: ModelTurn) => boolean, timeoutMs?: number): Promise<ModelTurn>;
  /** What went wrong, for an error: session `id`'s screen, its message events and the model's requests. */
  explain(id: string): string;
  cleanup(): Promise<void>;
}

export interface RealAgentOptions {
  cli: AgentCliName;
  script: ModelScript;
  /** The temp dir's name prefix. */
  prefix: string;
  /** Folders the CLI trusts without asking; default ao's worktrees and the repo. */
  trusted?: string[];
}

export async function createRealAgentEnv(options: RealAgentOptions): Promise<RealAgentEnv> {
  const binDir = await ensureAgentClis();
  const dir = await createTempDir(options.prefix);
  const repo = await createTempRepo({ branch: 'main', files: { 'README.md': '# app\n' } });
  const server = await MODEL_SERVERS[options.cli](options.script);
  const aoHome = join(dir.path, 'ao');
  const trusted = options.trusted ?? [join(aoHome, 'worktrees'), repo.path];
  const agentEnv = await writeAgentHome(options.cli, { home: join(dir.path, 'home'), modelUrl: server.url, trusted });
  const env: Record<string, string> = { ...agentEnv, AO_HOME: aoHome, TMUX_TMPDIR: join(dir.path, 'tmux'), PATH: `${binDir}:${process.env.PATH ?? ''}` };
  await mkdir(env.TMUX_TMPDIR as string, { recursive: true });
  const tmuxEnv = { ...process.env, TMUX_TMPDIR: env.TMUX_TMPDIR };
  const ao = (...args: string[]) => runAoAsync(args, { cwd: repo.path, env });
  const screen = (id: string): string => {
    try {
      return execFileSync('tmux', ['capture-pane', '-p', '-t', `=${tmuxSessionName(aoHome, id)}:`], { env: tmuxEnv, encoding: 'utf8' });
    } catch (error) {
      return String(error);
    }
  };
  const explain = (id: string): string => {
    const events = join(aoHome, 'projects', 'app', 'sessions', `${id}.events.jsonl`);
    const messages = existsSync(events)
      ? readFileSync(events, 'utf8')
          .trim()
          .split('\n')
          .slice(-40)
          .map((line) => line.slice(0, 400))
          .join('\n')
      : `(no ${events})`;
    const requests = server.turns.map((t) => ({ tools: t.tools.length, new: t.newUserText.slice(0, 60) }));
    const http = server.requests.map((r) => `${r.method} ${r.path}`);
    return `the screen:\n${screen(id)}\nao's events:\n${messages}\nmodel requests: ${JSON.stringify(requests)}\nall HTTP requests: ${JSON.stringify(http)}`;
  };
  return {
    dir,
    repo: repo.path,
    server,
    env,
    ao,
    screen,
    explain,
    waitForTurn: (id, predicate, timeoutMs = 120_000) =>
      server.waitForTurn(predicate, timeoutMs).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${explain(id)}`);
      }),
    writeConfig: (yaml) => writeFile(join(repo.path, 'agent-orchestrator.yaml'), yaml),
    readinessTimeouts() {
      const log = join(aoHome, 'logs', 'ao.log');
      return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((line) => line.includes('never showed its prompt')) : [];
    },
    async cleanup() {
      await ao('stop', '--force').catch(() => undefined);
      try {
        execFileSync('tmux', ['kill-server'], { env: tmuxEnv, stdio: 'ignore' });
      } catch {
        // no server left
      }
      await server.close();
      await repo.cleanup();
      await dir.cleanup();
    },
  };
}
