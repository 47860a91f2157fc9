import { realpathSync } from 'node:fs';
import { pickProject, TERMINAL_STATUSES, type McpServerSpec, type ResolvedConfig, type ResolvedProject, type Session, type SessionManager } from '@ao/core';

/** What the daemon reports about its orchestrator session (`GET /api/status`, `ao start`). */
export type OrchestratorState =
  | { state: 'disabled'; reason: string }
  | { state: 'starting' }
  | { state: 'running'; sessionId: string; spawned: boolean }
  | { state: 'failed'; error: string };

/** An orchestrator session that is still alive (not finished, terminal not gone). */
export function isLiveOrchestrator(s: Session): boolean {
  return s.role === 'orchestrator' && !TERMINAL_STATUSES.includes(s.status) && s.activity !== 'exited';
}

/**
 * The orchestrator's instructions. It plans and delegates; workers change code. `ao` is the one
 * interface it has, so everything it does is visible in `ao status` and the event logs.
 */
export function orchestratorPrompt(options: { ao: string; project: ResolvedProject; projects: string[]; limit: number }): string {
  const { ao, project } = options;
  return [
    `You are the orchestrator of ao (Agent Orchestrator) for the project "${project.name}" (${project.path}).`,
    'Your job is to plan work and drive worker agents through the `ao` command line. You never edit,',
    'commit or push code yourself, and you never run the project\'s build or tests to fix them: workers do',
    'that, each in its own git workspace. You read, plan, delegate, follow up and report.',
    '',
    `Run ao as: ${ao}`,
    options.projects.length > 1 ? `Projects: ${options.projects.join(', ')} (pass --project <name>).` : '',
    '',
    'You also have ao\'s own MCP server, `ao` (its tools: spawn, list, status, events, send, answer,',
    'approvals, approve, reject, trace, plan_run, plan_list, send_message, list_crew, crew_log): use those',
    'tools when you can, the command line below when they are missing. Both go through the same paths, so',
    'either is visible to the human.',
    '',
    'Commands:',
    `  ${ao} issue ls [--json]                 open issues (the work queue)`,
    `  ${ao} issue new "<title>" --body "…"     file a new issue (split big work into issues first)`,
    `  ${ao} spawn <issue>                      start a worker on an issue; prints the session id`,
    `  ${ao} spawn --prompt "<task>"            start a worker on a free task`,
    `  ${ao} status --json                      every session: status, activity, branch, PR, CI`,
    `  ${ao} session events <id>                what happened in one session`,
    `  ${ao} send <id> "<message>"              tell a worker something (answers, review feedback, nudges)`,
    `  ${ao} review <id> approve|request-changes -m "…"   review a worker's change`,
    `  ${ao} approvals ls                       actions waiting for a human; approve/reject only when told to`,
    `  ${ao} session kill <id> | restore <id>   stop or relaunch a worker (work is never deleted)`,
    `  ${ao} crew create <name> --goal "…" <ids…>   group workers that share a goal; they can message each other`,
    `  ${ao} crew send <name> "<message>"       tell every worker of a crew something at once`,
    '',
    'How to work:',
    '1. Read the open issues and decide what can run in parallel and what depends on what.',
    `2. Spawn one worker per independent issue; do not start two workers on the same issue. At most`,
    `   ${options.limit} workers run at once: beyond that, a spawn waits in the queue (\`${ao} queue ls\`) and`,
    '   starts when a worker finishes. Workers on parts of one goal can share a crew.',
    '3. Check `status --json` regularly. Answer workers that are waiting for input or stuck with `send`;',
    '   forward CI failures and review comments to the worker that owns the branch.',
    '4. When a worker\'s change is ready, review it, then request changes or approve it.',
    '5. Keep a short running summary of what is in flight, what is done and what needs a human.',
    '',
    'Wait for instructions from the human now, or start with step 1 if there are open issues.',
    '',
  ]
    .filter((line, i, all) => line !== '' || all[i - 1] !== '')
    .join('\n');
}

/**
 * `ao mcp` as an MCP server for the orchestrator's agent: this very ao (node + its bin, resolved),
 * with the config file and data dir the daemon uses, whatever directory the agent starts it from.
 */
export function aoMcpServer(configFile: string, env: NodeJS.ProcessEnv = process.env): McpServerSpec {
  let bin = process.argv[1] ?? 'ao';
  try {
    bin = realpathSync(bin);
  } catch {
    // keep argv[1]
  }
  return { command: process.execPath, args: [bin, '--config', configFile, 'mcp'], ...(env.AO_HOME ? { env: { AO_HOME: env.AO_HOME } } : {}) };
}

/** `ao mcp --worker` for a worker's agent: the messaging tools only (send_message, list_crew, crew_log). */
export function aoWorkerMcpServers(configFile: string, env: NodeJS.ProcessEnv = process.env): Record<string, McpServerSpec> {
  const spec = aoMcpServer(configFile, env);
  return { ao: { ...spec, args: [...spec.args, '--worker'] } };
}

export interface EnsureOrchestratorOptions {
  manager: SessionManager;
  config: ResolvedConfig;
  cwd: string;
  /** How the orchestrator should call ao (absolute, with `--config`). */
  ao: string;
}

/**
 * Spawns the orchestrator unless a live one exists; returns which, or why none was started (its
 * agent cannot plan). Throws when spawning fails.
 */
export async function ensureOrchestrator(
  options: EnsureOrchestratorOptions,
): Promise<{ session: Session; spawned: boolean } | { disabled: string }> {
  const { manager, config } = options;
  const { sessions } = await manager.list();
  const live = sessions.filter(isLiveOrchestrator).sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0];
  if (live) return { session: live, spawned: false };
  let project: ResolvedProject;
  try {
    project = pickProject(config, undefined, options.cwd);
  } catch {
    project = Object.values(config.projects)[0] as ResolvedProject;
  }
  const agentName = config.orchestrator.agent ?? project.agentName;
  const selection = Object.hasOwn(config.agents, agentName) ? config.agents[agentName] : undefined;
  if (selection && (await manager.plugins.plugin(project, 'agent', selection)).canPlan !== true) {
    return {
      disabled:
        `the agent "${agentName}" is a plain program that cannot plan, so no orchestrator was started ` +
        `(set orchestrator.agent to an AI agent such as claude-code, or canPlan: true on the agent, in ${config.file})`,
    };
  }
  const session = await manager.spawn({
    project: project.name,
    prompt: orchestratorPrompt({ ao: options.ao, project, projects: Object.keys(config.projects), limit: config.limits.maxConcurrentSessions }),
    ...(config.orchestrator.agent ? { agent: config.orchestrator.agent } : {}),
    role: 'orchestrator',
    mcpServers: { ao: aoMcpServer(config.file) },
    cwd: options.cwd,
  });
  return { session, spawned: true };
}
