import { existsSync } from 'node:fs';
import type { Agent, AgentLaunch } from '../contracts/agent.js';
import type { Clock, Logger, ProjectInfo } from '../contracts/plugin.js';
import type { Runtime, RuntimeHandle } from '../contracts/runtime.js';
import type { Workspace, WorkspaceInfo } from '../contracts/workspace.js';
import type { ResolvedConfig, ResolvedProject } from '../config/resolve.js';
import { AoError, describeError, isAoError } from '../errors.js';
import { installHint, isExecutableFile, whichSync } from '../exec.js';
import type { PluginHost } from '../plugins/host.js';
import { lastScreenLines } from '../activity/screen.js';
import type { Session, SessionEvent } from './schema.js';
import type { SessionStore } from './store.js';
import { agentLastLines, awaitingReady, READY_TIMEOUT_MS, waitForAgentReady, waitForScreen } from './ready.js';
import { deliver } from './delivery.js';

export interface LauncherDeps {
  config: ResolvedConfig;
  store: SessionStore;
  plugins: PluginHost;
  logger: Logger;
  clock: Clock;
  env: Readonly<Record<string, string | undefined>>;
}

/** A recorded session's project and the plugins that start it (resolved before anything is created). */
export interface LaunchContext {
  project: ResolvedProject;
  info: ProjectInfo;
  agentName: string;
  agent: Agent;
  workspace: Workspace;
  runtime: Runtime;
  started: number;
  progress: (step: string) => void;
}

/**
 * Starting agents: a recorded session's first launch (workspace, agent, prompt), the relaunch of
 * one that is not running (restore), and the wait for a restored agent to take input. Every step
 * is recorded in the session's log; an agent that exits while starting keeps its session.
 */
export function createLauncher(deps: LauncherDeps) {
  const { config, store, plugins, logger, clock } = deps;
  const { projectOf } = plugins;
  const sessionAgent = plugins.agentOf;

  /**
   * The agent of a session that is not running, relaunched in its workspace (recreated when it was
   * deleted and the workspace plugin can), resuming its conversation when the agent can. No limit
   * check: `restore` queued it, or admission admitted it.
   */
  async function relaunch(session: Session): Promise<Session> {
    const id = session.id;
    const project = projectOf(session);
    const runtime: Runtime = await plugins.runtimeOf(session);
    const alive = session.runtime !== null && (await runtime.isAlive(session.runtime));
    const missing = !existsSync(session.workspacePath);
    if (alive && !missing) {
      throw new AoError('SESSION_STATE', `Session ${id} is still running: attach with \`ao session attach ${id}\``);
    }
    // An exit nobody recorded yet (no daemon ran; `ao status` only shows it) goes in the log before the restore.
    if (session.runtime && !alive && session.activity !== 'exited') {
      session = await store.update(session.project, id, 'runtime.exited', await exitedWith(runtime, session.runtime));
    }
    const workspace: Workspace = await plugins.workspaceOf(session);
    if (missing && !workspace.recreate) {
      throw new AoError(
        'SESSION_STATE',
        `Session ${id} cannot be restored: its workspace ${session.workspacePath} no longer exists and the ${session.workspaceName} workspace cannot recreate it. Drop the session with \`ao session kill ${id}\` and \`ao session cleanup\`.`,
      );
    }
    if (missing && workspace.recreate) {
      // Deleted by hand: check the session's branch out again where it was.
      const { path, branch } = await workspace.recreate({
        path: session.workspacePath,
        branch: session.branch,
        baseBranch: session.baseBranch,
        repoPath: project.path,
        postCreate: project.postCreate,
        copyFiles: project.copyFiles,
      });
      await store.update(session.project, id, 'workspace.recreated', {}, { path, branch });
      // An agent left running in the deleted directory cannot work there: it is replaced.
      if (alive && session.runtime) await runtime.stop(session.runtime);
    }
    const agentSel = config.agents[session.agent];
    if (!agentSel) throw new AoError('PLUGIN_NOT_FOUND', `Session ${id} used agent "${session.agent}", which is no longer in ${config.file}`);
    const agent: Agent = await plugins.plugin(project, 'agent', agentSel);
    // The conversation to resume: recorded by a poll, else read from the agent's own logs now (no
    // daemon polled it; `ao status` only reads).
    const resumeId = agent.canResume ? (session.nativeSessionId ?? (await conversationOf(agent, session))) : undefined;
    // An agent that exited while starting never got its prompt: it gets it now.
    const prompt = undeliveredPrompt(await store.events(session.project, id));
    const launch = await agent.launch({ sessionId: id, workspacePath: session.workspacePath, ...(prompt !== undefined ? { prompt } : {}), ...(resumeId ? { resumeId } : {}), ...(session.mcpServers ? { mcpServers: session.mcpServers } : {}) });
    assertProgramExists(launch.argv[0], session.agent, deps.env);
    const handle = await startRuntime(runtime, id, session.workspacePath, launch, project);
    const status = session.status === 'killed' || session.status === 'errored' || session.status === 'stuck' || session.status === 'needs_input' ? 'working' : session.status;
    const found = resumeId && resumeId !== session.nativeSessionId ? { nativeSessionId: resumeId } : {};
    let restored = await store.update(session.project, id, 'session.restored', { runtime: handle, startedAt: iso(clock), status, activity: 'active', activityDetail: null, ...found }, { resumed: Boolean(resumeId) });
    if (launch.initialInput !== undefined && (!resumeId || prompt !== undefined)) {
      try {
        restored = await deliverInitialInput(restored, runtime, handle, launch.initialInput);
      } catch (error) {
        throw await exitedWhileStarting(restored, runtime, handle, error, prompt);
      }
    }
    return restored;
  }

  /** Creates the workspace and starts the agent of a recorded session; on failure nothing is left but the archived record. */
  async function launch(recorded: Session, prompt: string, ctx: LaunchContext): Promise<Session> {
    const { project, info, agentName, agent, workspace, runtime, started, progress } = ctx;
    let session = recorded;
    const { id, branch, workspacePath } = session;
    let ws: WorkspaceInfo | undefined;
    let handle: RuntimeHandle | undefined;
    try {
      const launched = await agent.launch({ sessionId: id, workspacePath, prompt, ...(session.mcpServers ? { mcpServers: session.mcpServers } : {}) });
      assertProgramExists(launched.argv[0], agentName, deps.env);
      progress(`creating workspace on branch ${branch}`);
      ws = await workspace.create({
        sessionId: id,
        project: project.name,
        repoPath: project.path,
        baseBranch: info.defaultBranch,
        branch,
        path: workspacePath,
        postCreate: project.postCreate,
        copyFiles: project.copyFiles,
      });
      session = await store.update(project.name, id, 'workspace.created', { workspacePath: ws.path, branch: ws.branch }, { kind: project.workspace.plugin });
      progress(`starting ${agentName}`);
      handle = await startRuntime(runtime, id, ws.path, launched, project);
      session = await store.update(project.name, id, 'runtime.started', { runtime: handle, startedAt: iso(clock), status: 'working', activity: 'active' }, { argv0: launched.argv[0] });
      if (launched.initialInput !== undefined) {
        progress('sending the prompt');
        const live = handle;
        session = await deliverInitialInput(session, runtime, live, launched.initialInput).catch(async (error: unknown) => {
          throw await exitedWhileStarting(session, runtime, live, error, prompt);
        });
      }
      const spawnMs = clock.now() - started;
      session = await store.update(project.name, id, 'session.spawned', { spawnMs }, { spawnMs });
      logger.info({ session: id, spawnMs, branch }, 'session spawned');
      return session;
    } catch (error) {
      // An agent that exited while starting keeps its record and workspace, for restore (see exitedWhileStarting).
      if (isAoError(error) && error.details?.exitedWhileStarting === id) throw error;
      // A failed spawn leaves nothing running and no workspace; the record is archived so the id is not reused.
      logger.error({ session: id, err: describeError(error) }, 'spawn failed');
      if (handle) await runtime.stop(handle).catch(() => {});
      if (ws) await workspace.remove(ws).catch((e: unknown) => logger.warn({ session: id, err: describeError(e) }, 'could not remove workspace after failed spawn'));
      await store.update(project.name, id, 'spawn.failed', { status: 'errored' }, { error: describeError(error) }).catch(() => {});
      await store.archive(project.name, id).catch(() => {});
      throw error;
    }
  }

  async function startRuntime(runtime: Runtime, id: string, cwd: string, launch: AgentLaunch, project: ResolvedProject): Promise<RuntimeHandle> {
    return runtime.start({
      sessionId: id,
      cwd,
      argv: launch.argv,
      // The runtime's server may have a different environment than this process: pass what agents need.
      env: { ...inherited(deps.env), ...launch.env, AO_SESSION_ID: id, AO_PROJECT: project.name },
    });
  }

  async function deliverInitialInput(session: Session, runtime: Runtime, handle: RuntimeHandle, text: string): Promise<Session> {
    // Wait for the agent to take input, as it judges its screen (a signal, not a fixed sleep): text
    // typed while a TUI starts is lost. One that never says so gets it anyway, as a person would type.
    const agent = await sessionAgent(session).catch(() => undefined);
    if (agent) {
      const startedAt = Date.parse(session.startedAt ?? session.createdAt);
      const ready = await waitForAgentReady(runtime, handle, agent, { workspacePath: session.workspacePath, startedAt }, clock);
      if (ready.state === 'not-ready') logger.warn({ session: session.id, detail: ready.detail }, 'the agent never showed its prompt; typing the prompt in anyway');
    } else {
      await waitForScreen(runtime, handle, clock);
    }
    return deliver(store, session, runtime, handle, text, { data: { initial: true }, ...(agent ? { agent } : {}), clock });
  }

  /** The agent CLI's conversation id for a session whose agent is gone, from its own logs (see `ActivityReport.nativeSessionId`). */
  async function conversationOf(agent: Agent, session: Session): Promise<string | undefined> {
    const probe = { workspacePath: session.workspacePath, alive: false, startedAt: Date.parse(session.startedAt ?? session.createdAt), now: clock.now() };
    const report = await agent.detectActivity(probe).catch(() => undefined);
    return report?.nativeSessionId || undefined;
  }

  /**
   * A message for an agent that a restore has just started waits until it can take input (typed
   * while it starts, it is lost); once it could, or after a spawn, messages go in at once.
   */
  async function untilReady(session: Session, agent: Agent, runtime: Runtime, handle: RuntimeHandle): Promise<void> {
    const startedAt = Date.parse(session.startedAt ?? session.createdAt);
    if (!awaitingReady(await store.events(session.project, session.id, { since: startedAt - 5_000 }))) return;
    logger.info({ session: session.id }, 'message waits for the restored agent to be ready');
    const ready = await waitForAgentReady(runtime, handle, agent, { workspacePath: session.workspacePath, startedAt }, clock);
    if (ready.state === 'ready') return;
    const id = session.id;
    if (ready.state === 'exited') {
      const exited = await exitedWith(runtime, handle);
      await store.update(session.project, id, 'runtime.exited', exited).catch(() => {});
      throw new AoError('SESSION_STATE', `Session ${id}'s agent exited before it could take the message (${exited.activityDetail ?? 'the agent exited'}): fix what it reports, then \`ao session restore ${id}\``);
    }
    const lines = lastScreenLines(ready.screen, 6).map((l) => `  ${l.trim()}`);
    throw new AoError(
      'SESSION_STATE',
      `Session ${id}'s agent, restored ${Math.round((clock.now() - startedAt) / 1000)} s ago, is not ready for input yet (${ready.detail ?? 'not at its prompt'})${lines.length ? `; its screen ends:\n${lines.join('\n')}\n` : '. '}Look at it with \`ao session attach ${id}\`, then send again.`,
      { details: { session: id, waitedMs: READY_TIMEOUT_MS } },
    );
  }

  /**
   * The agent of `session` exited while starting (before or while its prompt was typed in): the
   * record and workspace are kept, the exit and its last screen lines recorded (with the prompt,
   * when it was not delivered, for restore to give it), and the error says what it said and what to
   * do. Any other failure of the start is `error` itself.
   */
  async function exitedWhileStarting(session: Session, runtime: Runtime, handle: RuntimeHandle, error: unknown, prompt: string | undefined): Promise<unknown> {
    if (await runtime.isAlive(handle).catch(() => true)) return error;
    const id = session.id;
    const lines = await agentLastLines(runtime, handle);
    const delivered = (await store.events(session.project, id).catch(() => [])).some((e) => e.type === 'message.sent' && e.data?.initial === true && Date.parse(e.ts) >= Date.parse(session.startedAt ?? session.createdAt));
    await store
      .update(session.project, id, 'runtime.exited', exitedDetail(lines), { whileStarting: true, lastLines: lines, error: describeError(error), ...(prompt !== undefined && !delivered ? { prompt } : {}) })
      .catch(() => {});
    logger.warn({ session: id, lastLines: lines }, 'agent exited while starting');
    const said = lines.length ? `; its last lines:\n${lines.map((l) => `  ${l}`).join('\n')}\n` : ' without a word. ';
    return new AoError(
      'AGENT_FAILED',
      `The ${session.agent} agent of ${id} exited while starting${said}Fix what it reports (\`ao doctor\` checks each agent's install, login and API key), then \`ao session restore ${id}\`: the session and its workspace are kept${prompt !== undefined && !delivered ? ', and the prompt is typed in when it starts' : ''}.`,
      { cause: error, details: { session: id, lastLines: lines, exitedWhileStarting: id } },
    );
  }

  return { launch, relaunch, untilReady };
}

const iso = (clock: Clock): string => new Date(clock.now()).toISOString();

const EXITED: Partial<Session> = { activity: 'exited', activityDetail: 'the agent process is gone' };

/**
 * What an exited agent last said, where its terminal still shows it (tmux keeps a dead pane):
 * the last line that reads like an error, else the last line. Read once, when the exit is recorded,
 * so the reason is in the session instead of only in scrollback.
 */
export async function exitedWith(runtime: Runtime, handle: RuntimeHandle): Promise<Partial<Session>> {
  return exitedDetail(await agentLastLines(runtime, handle, 40));
}

/** The exit, with the last of `lines` that reads like an error (else the last line) as its detail. */
function exitedDetail(lines: readonly string[]): Partial<Session> {
  const said = [...lines].reverse().find((l) => /error|fatal|exception|denied|invalid|not found|failed|panic|unauthori[sz]ed/i.test(l)) ?? lines.at(-1);
  if (!said) return EXITED;
  return { activity: 'exited', activityDetail: `the agent exited; its last words: ${said.length > 200 ? `${said.slice(0, 200)}…` : said}` };
}

/** The prompt a start that ended with the agent exiting did not deliver (recorded by exitedWhileStarting), until a later start. */
function undeliveredPrompt(events: readonly SessionEvent[]): string | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i] as SessionEvent;
    if (event.type === 'runtime.exited' && typeof event.data?.prompt === 'string') return event.data.prompt;
    if (event.type === 'session.restored' || event.type === 'runtime.started' || event.type === 'message.sent') return undefined;
  }
  return undefined;
}

const INHERITED_VARS = ['PATH', 'HOME', 'AO_HOME', 'LANG', 'TERM'];
function inherited(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of INHERITED_VARS) if (env[k]) out[k] = env[k] as string;
  return out;
}

/** A missing agent CLI is the commonest spawn failure: name it and say how to install it, before anything is created. */
function assertProgramExists(program: string | undefined, agentName: string, env: Readonly<Record<string, string | undefined>>): void {
  if (!program) throw new AoError('AGENT_FAILED', `Agent "${agentName}" has an empty command`);
  const found = program.includes('/') ? isExecutableFile(program) : whichSync(program, env) !== undefined;
  if (!found) {
    throw new AoError('TOOL_MISSING', `Agent "${agentName}" needs \`${program}\`, which was not found: ${installHint(program)}`, { details: { tool: program } });
  }
}
