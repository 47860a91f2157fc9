import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Agent } from '../contracts/agent.js';
import type { AttachPlan } from '../contracts/terminal.js';
import type { Issue, Tracker } from '../contracts/tracker.js';
import type { AoPaths, Clock, Exec, Logger, ProjectInfo } from '../contracts/plugin.js';
import type { DeliveryStatus, Runtime, RuntimeHandle, TerminalConnection, TerminalOpenOptions } from '../contracts/runtime.js';
import type { Workspace, WorkspaceState } from '../contracts/workspace.js';
import { pickProject, type ResolvedConfig } from '../config/resolve.js';
import { AoError, describeError, isAoError } from '../errors.js';
import { gitBranchExists } from '../git.js';
import type { PluginRegistry } from '../plugins/registry.js';
import { createPluginHost, type PluginHost } from '../plugins/host.js';
import { listTemplateVariables, renderTemplate } from '../templates.js';
import { createTemplateStore } from '../template-store.js';
import { awaitingStart, blockedBy, blockedError, countLimitMessage, DEFAULT_PRIORITY, systemFreeMemoryMb, withSpawnLock, type Blocked, type FreeMemoryReader } from '../queue/admission.js';
import { keyBytes } from '../activity/menus.js';
import { branchNameForIssue, sessionBranch } from './naming.js';
import type { Session } from './schema.js';
import type { SessionStore } from './store.js';
import { deliver, deliveryLockPath, settleDelivery } from './delivery.js';
import { sendKeys } from './answer.js';
import { withFileLock } from './lock.js';
import { createSessionCleanup, type CleanupResult, type SessionCleanupOutcome } from './cleanup.js';
import { createLauncher } from './launch.js';
import { createListing, KILLED, KILLING, type ListOptions, type SessionListing } from './listing.js';

export interface SessionManagerDeps {
  config: ResolvedConfig;
  registry: PluginRegistry;
  store: SessionStore;
  paths: AoPaths;
  logger: Logger;
  clock: Clock;
  exec: Exec;
  env: Readonly<Record<string, string | undefined>>;
  /** Free memory in MiB, for `limits.minFreeMemoryMb`; default `systemFreeMemoryMb`. */
  freeMemoryMb?: FreeMemoryReader;
  /** The plugin host to share (the CLI's and the daemon's); default: one made from these deps. */
  plugins?: PluginHost;
  /**
   * MCP servers every worker session gets unless its spawn names its own: the host's `ao mcp
   * --worker`, whose tools message other sessions and crews. Agents whose plugin takes no MCP
   * servers ignore them.
   */
  workerMcpServers?: Session['mcpServers'];
}

export interface SpawnOptions {
  project?: string;
  /** Tracker issue id; the prompt is built from the issue template. */
  issue?: string;
  /** A free prompt (alone, or added to the issue prompt). */
  prompt?: string;
  /** Agent name: a built-in agent plugin or a key of `agents:`. */
  agent?: string;
  /** Where the command was run, to pick the project. */
  cwd?: string;
  /** Progress callback for terminals ("creating workspace…"). */
  onProgress?: (step: string) => void;
  /** `orchestrator` sessions get `prompt` verbatim (no task template); default `worker`. */
  role?: 'worker' | 'orchestrator';
  /**
   * Beyond the limits (count, free memory, the agent's `maxConcurrent`), or behind queued work of
   * the same or a higher priority: `if-full` (default) records the session `queued` and returns it;
   * `never` throws `SESSION_LIMIT`; `always` queues even when there is room (plans, triggers).
   */
  queue?: 'if-full' | 'never' | 'always';
  /** Queue priority 1..10, 10 first; default 5. */
  priority?: number;
  /** The plan step this session does. */
  plan?: Session['plan'];
  /** The trigger firing that queued it. */
  trigger?: Session['trigger'];
  /** MCP servers for the agent (see `AgentLaunchInput.mcpServers`); recorded, so restore passes them again. */
  mcpServers?: Session['mcpServers'];
}

export interface RestoreOptions {
  /** As `SpawnOptions.queue`, without `always`. Default `if-full`. */
  queue?: 'if-full' | 'never';
  /** Queue priority 1..10 when it waits. Default 5. */
  priority?: number;
}

export interface SendOptions {
  /** The id to log the delivery under (reactions choose it first). */
  deliveryId?: string;
  /**
   * While the agent waits on a menu: `answer` (default, people) selects the option the message
   * names and refuses one that names none; `refuse` (reactions) sends nothing. See `answer.ts`.
   */
  menu?: 'answer' | 'refuse';
}

export type { CleanupResult, SessionCleanupOutcome } from './cleanup.js';

export type { ListOptions, SessionListing } from './listing.js';

export interface KillResult {
  session: Session;
  workspace: WorkspaceState | undefined;
}

/**
 * The one path into sessions for the CLI, the daemon and the dashboard. Composes the tracker,
 * workspace, agent and runtime plugins; every state change is written as an event to the store.
 */
export interface SessionManager {
  /** Starts a session now, or records it `queued` (see `SpawnOptions.queue`) and returns it. */
  spawn(options: SpawnOptions): Promise<Session>;
  /**
   * Starts a queued session that admission (queue/) has just marked `spawning` with
   * `queue.admitted`: workspace, agent, the prompt recorded when it was queued.
   */
  startAdmitted(id: string): Promise<Session>;
  /**
   * All sessions, with liveness refreshed from the runtimes (one call per runtime plugin) and a
   * session whose workspace directory is gone marked `errored` (one stat per session).
   * `activity`: also each live agent's activity and tokens. `orphans`: also the terminals ao
   * started that no record points at (one more call per runtime). What a refresh finds is recorded
   * as events (the lifecycle poll, cleanup), unless `record: false`: then it is in this listing
   * only and nothing is written (`ao status` reads; the lifecycle and the commands that act record).
   */
  list(options?: ListOptions): Promise<SessionListing>;
  get(id: string): Promise<Session>;
  /**
   * Delivers `message` literally, as one submission, under the session's delivery lock (see
   * `delivery.ts`), logged as `deliveryId` when given. Throws if the agent is not running.
   */
  send(id: string, message: string, options?: SendOptions): Promise<Session>;
  /**
   * Sends raw keys (single characters or key names such as `Down`, `Enter`, `Escape`; see
   * `keyBytes`) under the same delivery lock, with no Enter added: for menus and dialogs.
   */
  sendKeys(id: string, keys: readonly string[]): Promise<Session>;
  /**
   * What became of delivery `deliveryId` whose sender died (see `settleDelivery`): `delivered`,
   * `not-delivered` (safe to send again) or `unknown`. Records the answer in the session's log.
   */
  settleDelivery(id: string, deliveryId: string): Promise<DeliveryStatus>;
  /** Stops the agent; the workspace and branch are kept, whatever their state. */
  kill(id: string): Promise<KillResult>;
  /**
   * Relaunches the agent in the same workspace and branch, resuming its conversation when it can.
   * Beyond the limits it is queued like a spawn (`queue: 'never'` refuses with `SESSION_LIMIT`) and
   * returned `queued`; admission then restores it (see `startAdmitted`).
   */
  restore(id: string, options?: RestoreOptions): Promise<Session>;
  /**
   * Removes workspaces of finished sessions that are clean and merged; reports the rest with why.
   * A workspace holding gitignored files that cannot be regenerated is kept unless `forceIgnored`.
   */
  cleanup(options?: { dryRun?: boolean; project?: string; forceIgnored?: boolean }): Promise<CleanupResult>;
  /**
   * The same cleanup for one finished session, its record kept (the `merged` reaction marks it
   * `done`): the workspace removed when that loses nothing, else kept with why (see `keepReason`).
   */
  cleanupSession(id: string, options?: { forceIgnored?: boolean }): Promise<SessionCleanupOutcome>;
  attach(id: string): Promise<AttachPlan>;
  /**
   * The session's live terminal as a byte stream, through its runtime's `openTerminal` (the web
   * terminal's one path, whatever the runtime). Throws `SESSION_STATE` when the agent never
   * started, `RUNTIME_FAILED` when the runtime has no terminal stream or the terminal is gone.
   */
  openTerminal(id: string, options: TerminalOpenOptions): Promise<TerminalConnection>;
  /** The plugin host this manager composes (plugins of a project or a session). */
  readonly plugins: PluginHost;
}

const iso = (clock: Clock): string => new Date(clock.now()).toISOString();

/** `SESSION_LIMIT`: `running` workers already fill `limits.maxConcurrentSessions` (`limit`) of `configFile`. */
export function sessionLimitError(running: number, limit: number, configFile: string): AoError {
  return blockedError({ reason: 'count', message: countLimitMessage(running, limit, configFile) });
}

export function createSessionManager(deps: SessionManagerDeps): SessionManager {
  const { config, store, logger, clock } = deps;
  const plugins = deps.plugins ?? createPluginHost(deps);
  const { projectOf } = plugins;

  const { launch, relaunch, untilReady } = createLauncher({ config, store, plugins, logger, clock, env: deps.env });
  const list = createListing({ config, store, plugins, logger, clock });
  const freeMemoryMb = deps.freeMemoryMb ?? systemFreeMemoryMb;
  const templates = createTemplateStore(deps.paths, clock);

  /**
   * Why a new session of `agent` at `priority` must wait, or undefined when it may start now. Queued
   * work of the same or a higher priority goes first: a new spawn never overtakes it.
   */
  const mustWait = async (agent: string, priority: number, mode: NonNullable<SpawnOptions['queue']>): Promise<Blocked | undefined> => {
    const { sessions } = await manager.list();
    const blocked = blockedBy(config, sessions, agent, freeMemoryMb());
    if (blocked && mode === 'never') throw blockedError(blocked);
    const queued = sessions.filter((s) => s.status === 'queued');
    if (!blocked && mode !== 'always' && !queued.some((s) => (s.priority ?? DEFAULT_PRIORITY) >= priority)) return undefined;
    if (queued.length >= config.queue.maxSize) {
      throw new AoError(
        'QUEUE_FULL',
        `${queued.length} sessions are already queued and queue.maxSize is ${config.queue.maxSize} (${config.file}): wait for queued work to start, remove some with \`ao queue rm <id>\`, or raise queue.maxSize`,
        { details: { queued: queued.length, maxSize: config.queue.maxSize } },
      );
    }
    if (blocked) return blocked;
    return { reason: 'count', message: mode === 'always' ? 'queued as asked' : `${queued.length} queued session${queued.length === 1 ? ' goes' : 's go'} first` };
  };

  const manager: SessionManager = {
    plugins,

    async spawn(options) {
      const started = clock.now();
      const progress = options.onProgress ?? (() => {});
      const project = pickProject(config, options.project, options.cwd);
      const agentName = options.agent ?? project.agentName;
      const agentSel = config.agents[agentName];
      if (!agentSel) {
        throw new AoError('PLUGIN_NOT_FOUND', `Unknown agent "${agentName}" (available: ${Object.keys(config.agents).join(', ')}; define your own under agents: in ${config.file})`, { exitCode: 2 });
      }
      if (!options.issue && !options.prompt?.trim()) {
        throw new AoError('USAGE', 'Nothing to do: give an issue id (`ao spawn 3`) or a prompt (`ao spawn --prompt "…"`)');
      }

      // Everything that can be wrong with the input is checked before anything is created.
      const info = await plugins.projectInfo(project);
      let issue: Issue | undefined;
      if (options.issue) {
        progress(`reading issue ${options.issue}`);
        const tracker: Tracker = await plugins.plugin(project, 'tracker');
        issue = await tracker.getIssue(options.issue);
      }
      // The template's current version (`ao template set/rollback`); version 1 is the config's.
      const versioned = await templates.current(issue ? 'issue' : 'task', project);
      const templateName = versioned.ref.endsWith('@1') ? (issue ? 'prompts.issue' : 'prompts.task') : `template ${versioned.ref}`;
      const template = versioned.text;
      const roots = new Set(['issue', 'session', 'project', 'prompt']);
      for (const v of listTemplateVariables(template, { name: templateName })) {
        const root = v.split('.')[0] ?? v;
        if (!roots.has(root) || (root === 'issue' && !issue) || (root === 'prompt' && !options.prompt)) {
          throw new AoError('TEMPLATE_INVALID', `Template ${templateName} uses {{${v}}}, which is not available here (available: ${[...roots].filter((r) => (r !== 'issue' || issue) && (r !== 'prompt' || options.prompt)).join(', ')})`);
        }
      }
      const [workspace, agent, runtime]: [Workspace, Agent, Runtime] = await Promise.all([
        plugins.plugin(project, 'workspace'),
        plugins.plugin(project, 'agent', agentSel),
        plugins.plugin(project, 'runtime'),
      ]);

      const issueBranch = issue ? branchNameForIssue(issue) : undefined;
      const issueBranchTaken = issueBranch !== undefined && (await gitBranchExists(deps.exec, project.path, issueBranch));
      const priority = options.priority ?? DEFAULT_PRIORITY;
      // From the slot check to the record, under one lock: processes spawning at once never together
      // exceed limits.maxConcurrentSessions (the new record counts as running from this moment).
      // The orchestrator is exempt: it exists to spawn the workers.
      const exempt = options.role === 'orchestrator';
      const mcpServers = options.mcpServers ?? (exempt ? undefined : deps.workerMcpServers);
      const reserve = async (): Promise<Reserved> => {
        const wait = exempt ? undefined : await mustWait(agentName, priority, options.queue ?? 'if-full');
        const id = await store.reserveId(project.name, project.sessionPrefix);
        const branch = issueBranch === undefined ? sessionBranch(id) : issueBranchTaken ? `${issueBranch}-${id}` : issueBranch;
        const vars = {
          issue,
          prompt: options.prompt,
          session: { id, branch },
          project: { name: project.name, path: project.path, defaultBranch: info.defaultBranch },
        };
        let prompt = renderTemplate(template, vars, { name: templateName });
        if (issue && options.prompt) prompt = `${prompt}\n${options.prompt}\n`;
        if (options.role === 'orchestrator' && options.prompt) prompt = options.prompt;
        const now = iso(clock);
        const created = await store.create(project.name, {
          id,
          project: project.name,
          issue: issue?.id ?? null,
          title: issue?.title ?? options.prompt?.split('\n')[0]?.slice(0, 80) ?? null,
          branch,
          baseBranch: info.defaultBranch,
          workspacePath: join(deps.paths.worktrees(project.name), id),
          agent: agentName,
          runtimeName: project.runtime.plugin,
          workspaceName: project.workspace.plugin,
          runtime: null,
          status: wait ? 'queued' : 'spawning',
          activity: null,
          activityDetail: null,
          nativeSessionId: null,
          pr: null,
          createdAt: now,
          updatedAt: now,
          startedAt: null,
          lastEvent: null,
          spawnMs: null,
          role: options.role ?? 'worker',
          ...(mcpServers ? { mcpServers } : {}),
          ...(wait ? { priority } : {}),
          ...(options.plan ? { plan: options.plan } : {}),
          ...(options.trigger ? { trigger: options.trigger } : {}),
          ...(options.role === 'orchestrator' ? {} : { template: versioned.ref }),
        });
        if (!wait) return { session: created, prompt };
        // The prompt is rendered now (the issue as it is now) and given to the agent when it starts.
        const queued = await store.update(project.name, id, QUEUED, {}, { prompt, priority, reason: wait.message });
        return { session: queued, prompt, wait };
      };
      const reserved = exempt ? await reserve() : await withSpawnLock(deps.paths, reserve);
      if (reserved.wait) {
        logger.info({ session: reserved.session.id, priority, reason: reserved.wait.message }, 'session queued');
        return reserved.session;
      }
      return launch(reserved.session, reserved.prompt, { project, info, agentName, agent, workspace, runtime, started, progress });
    },

    async startAdmitted(id) {
      const started = clock.now();
      const session = await store.find(id);
      const events = await store.events(session.project, id);
      if (!awaitingStart(session, events)) {
        throw new AoError('SESSION_STATE', `Session ${id} was not just admitted from the queue (it is ${session.status}); nothing was started`);
      }
      const project = projectOf(session);
      const agentSel = config.agents[session.agent];
      if (!agentSel) throw new AoError('PLUGIN_NOT_FOUND', `Session ${id} uses agent "${session.agent}", which is no longer in ${config.file}`);
      // The latest: a session queued at spawn, killed, then queued again by a restore has two.
      const queuedEvent = events.filter((e) => e.type === QUEUED).at(-1);
      if (queuedEvent?.data?.restore === true) {
        const from = queuedEvent.data.from;
        try {
          return await relaunch({ ...session, status: typeof from === 'string' ? (from as Session['status']) : 'killed' });
        } catch (error) {
          // Back where it was before the restore was queued; not requeued (it would fail again).
          await store.update(session.project, id, 'session.restore_failed', { status: typeof from === 'string' ? (from as Session['status']) : 'killed' }, { error: describeError(error) });
          throw error;
        }
      }
      const prompt = queuedEvent?.data?.prompt;
      if (typeof prompt !== 'string') throw new AoError('SESSION_CORRUPT', `Session ${id} has no recorded prompt in its ${QUEUED} event`);
      const [info, workspace, agent, runtime]: [ProjectInfo, Workspace, Agent, Runtime] = await Promise.all([
        plugins.projectInfo(project),
        plugins.workspaceOf(session),
        plugins.plugin(project, 'agent', agentSel),
        plugins.runtimeOf(session),
      ]);
      return launch(session, prompt, { project, info, agentName: session.agent, agent, workspace, runtime, started, progress: () => {} });
    },

    list: (options) => list(options),
    get: (id) => store.find(id),

    async send(id, message, options = {}) {
      let delivered = false;
      try {
        const session = await store.find(id);
        const { runtime, handle } = await liveRuntime(session);
        const agent = await plugins.agentOf(session);
        if (agent) await untilReady(session, agent, runtime, handle);
        const { menu = 'answer', ...rest } = options;
        return await deliver(store, session, runtime, handle, message, {
          ...rest,
          ...(agent ? { agent, menu: { mode: menu, sessionId: id } } : {}),
          clock,
          onDelivered: () => (delivered = true),
        });
      } catch (error) {
        throw withOutcome(
          error,
          delivered
            ? `The message WAS delivered to ${id}, but it could not be recorded: do not send it again.`
            : `The message was NOT delivered to ${id}.`,
        );
      }
    },

    async sendKeys(id, keys) {
      keys.forEach(keyBytes); // a bad key name is a usage error, before anything is sent
      const session = await store.find(id);
      const { runtime, handle } = await liveRuntime(session);
      return withFileLock(
        deliveryLockPath(store, session),
        async () => {
          await sendKeys(runtime, handle, keys);
          return store.update(session.project, id, 'keys.sent', {}, { keys: [...keys] });
        },
        { timeoutMs: 60_000 },
      );
    },

    async settleDelivery(id, deliveryId) {
      const session = await store.find(id);
      const project = projectOf(session);
      const runtime: Runtime | undefined = await plugins.plugin(project, 'runtime', plugins.selectionOf(project, 'runtime', session)).catch(() => undefined);
      return settleDelivery(store, session, runtime, deliveryId);
    },

    async kill(id) {
      const session = await store.find(id);
      if (session.runtime) {
        // Intent first: a kill that cannot be recorded does not happen, and one interrupted after
        // the stop is finished by the next listing (see `list`), so the record never says working.
        await store.update(session.project, id, KILLING, {}, { from: session.status }).catch((error: unknown) => {
          throw withOutcome(error, `Session ${id} was NOT killed: its agent is still running and nothing was recorded.`);
        });
        await stopAgent(session);
      }
      const killed = await store.update(session.project, id, 'session.killed', KILLED).catch((error: unknown) => {
        throw withOutcome(
          error,
          `The agent of ${id} WAS stopped, but the kill could not be recorded; \`ao status\` shows it killed, and \`ao session kill ${id}\` once there is space records it.`,
        );
      });
      const workspace = await workspaceState(session).catch(() => undefined);
      return { session: killed, workspace };
    },

    async restore(id, options = {}) {
      const session = await store.find(id);
      const runtime: Runtime = await plugins.runtimeOf(session);
      const alive = session.runtime !== null && (await runtime.isAlive(session.runtime));
      if (alive && existsSync(session.workspacePath)) {
        throw new AoError('SESSION_STATE', `Session ${id} is still running: attach with \`ao session attach ${id}\``);
      }
      if (session.status === 'queued' || (session.status === 'spawning' && !session.runtime)) {
        throw new AoError('SESSION_STATE', `Session ${id} is already ${session.status === 'queued' ? 'queued' : 'being started'}: \`ao queue ls\` shows the queue`);
      }
      if (session.role !== 'orchestrator') {
        // Beyond the limits a restore waits in the queue like a spawn; the slot check and the record under one lock.
        const priority = options.priority ?? DEFAULT_PRIORITY;
        const queued = await withSpawnLock(deps.paths, async () => {
          const wait = await mustWait(session.agent, priority, options.queue ?? 'if-full');
          if (!wait) return undefined;
          // Nothing runs while it waits: no runtime handle for the lifecycle to watch.
          return store.update(session.project, id, QUEUED, { status: 'queued', priority, runtime: null, activity: null, activityDetail: null }, { restore: true, from: session.status, priority, reason: wait.message });
        });
        if (queued) {
          logger.info({ session: id, priority }, 'restore queued');
          return queued;
        }
      }
      return relaunch(session);
    },

    async cleanup(options = {}) {
      return cleanups.cleanupAll(await manager.list({ project: options.project }), options);
    },

    async cleanupSession(id, options = {}) {
      return cleanups.cleanupSession(await store.find(id), { ...options, archive: false });
    },

    async attach(id) {
      const session = await store.find(id);
      const project = projectOf(session);
      if (!session.runtime) throw new AoError('SESSION_STATE', `Session ${id} has no terminal yet`);
      const [terminal, runtime] = await Promise.all([plugins.plugin(project, 'terminal'), plugins.runtimeOf(session)]);
      return terminal.attach(session.runtime, { sessionId: session.id, runtime });
    },

    async openTerminal(id, options) {
      const session = await store.find(id);
      if (!session.runtime) throw new AoError('SESSION_STATE', `Session ${id} has no terminal: its agent never started`);
      const runtime: Runtime = await plugins.runtimeOf(session);
      if (!runtime.openTerminal) {
        throw new AoError('RUNTIME_FAILED', `The ${session.runtimeName} runtime offers no terminal stream (openTerminal): attach with \`ao session attach ${id}\``, {
          details: { runtime: session.runtimeName },
        });
      }
      return runtime.openTerminal(session.runtime, options);
    },
  };

  /** The one stop of an agent: `kill`, and `cleanup` of a finished session whose agent still runs. */
  async function stopAgent(session: Session): Promise<void> {
    if (!session.runtime) return;
    const runtime: Runtime = await plugins.runtimeOf(session);
    await runtime.stop(session.runtime);
  }

  const cleanups = createSessionCleanup({ store, plugins, stopAgent });
  const { workspaceState } = cleanups;

  async function liveRuntime(session: Session): Promise<{ runtime: Runtime; handle: RuntimeHandle }> {
    const runtime: Runtime = await plugins.runtimeOf(session);
    if (!session.runtime || !(await runtime.isAlive(session.runtime))) {
      if (session.runtime && session.activity !== 'exited') {
        await store.update(session.project, session.id, 'runtime.exited', { activity: 'exited', activityDetail: 'the agent process is gone' }).catch(() => {});
      }
      throw new AoError('SESSION_STATE', `Session ${session.id} is not running (its agent exited): restore it with \`ao session restore ${session.id}\``);
    }
    return { runtime, handle: session.runtime };
  }

  return manager;
}

/** The event that queues a session; its `data.prompt` is what the agent gets when it starts. */
const QUEUED = 'session.queued';
/** Admission (queue/) took the session out of the queue; `startAdmitted` starts it. */
export const ADMITTED = 'queue.admitted';

interface Reserved {
  session: Session;
  prompt: string;
  wait?: Blocked;
}

/** A `DISK_FULL` error with what was (or was not) done put first; any other error as it is. */
function withOutcome(error: unknown, outcome: string): unknown {
  if (!isAoError(error) || error.code !== 'DISK_FULL') return error;
  return new AoError('DISK_FULL', `${outcome} ${error.message}`, { cause: error, details: { ...error.details, outcome } });
}

