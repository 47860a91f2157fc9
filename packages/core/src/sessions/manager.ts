import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Agent, AgentLaunch } from '../contracts/agent.js';
import type { AttachPlan } from '../contracts/terminal.js';
import type { Issue, Tracker } from '../contracts/tracker.js';
import type { AoPaths, Clock, Exec, Logger, ProjectInfo } from '../contracts/plugin.js';
import type { OwnedTerminal, Runtime, RuntimeHandle, TerminalConnection, TerminalOpenOptions } from '../contracts/runtime.js';
import type { Workspace, WorkspaceInfo, WorkspaceState } from '../contracts/workspace.js';
import { pickProject, type ResolvedConfig, type ResolvedProject, type SlotSelection } from '../config/resolve.js';
import { AoError, describeError, isAoError } from '../errors.js';
import { installHint, isExecutableFile, whichSync } from '../exec.js';
import { gitBranchExists } from '../git.js';
import type { PluginRegistry } from '../plugins/registry.js';
import { createPluginHost, type PluginHost } from '../plugins/host.js';
import { listTemplateVariables, renderTemplate } from '../templates.js';
import { createTemplateStore } from '../template-store.js';
import { awaitingStart, blockedBy, blockedError, countLimitMessage, DEFAULT_PRIORITY, systemFreeMemoryMb, withSpawnLock, type Blocked, type FreeMemoryReader } from '../queue/admission.js';
import { branchNameForIssue, sessionBranch } from './naming.js';
import { TERMINAL_STATUSES, type Session, type SessionEvent } from './schema.js';
import type { SessionList, SessionStore } from './store.js';
import { agentLastLines, awaitingReady, READY_TIMEOUT_MS, waitForAgentReady, waitForScreen } from './ready.js';
import { deliver, deliveryLockPath, settleDelivery } from './delivery.js';
import { sendKeys } from './answer.js';
import { withFileLock } from './lock.js';
import { createSessionCleanup, type CleanupResult, type SessionCleanupOutcome } from './cleanup.js';
import { keyBytes } from '../activity/menus.js';
import { lastScreenLines } from '../activity/screen.js';
import { createScreenAges } from '../activity/screen-age.js';
import type { DeliveryStatus } from '../contracts/runtime.js';
import { readUsageChange, refreshUsage } from '../usage/refresh.js';

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

export interface SessionListing extends SessionList {
  /** With `orphans: true`: terminals ao started (by their names) whose session has no record. */
  orphans?: OwnedTerminal[];
}

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
  list(options?: { project?: string; refresh?: boolean; activity?: boolean; orphans?: boolean; record?: boolean }): Promise<SessionListing>;
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
          ...(options.mcpServers ? { mcpServers: options.mcpServers } : {}),
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
        plugins.plugin(project, 'workspace', workspaceSelection(project, session)),
        plugins.plugin(project, 'agent', agentSel),
        plugins.plugin(project, 'runtime', runtimeSelection(project, session)),
      ]);
      return launch(session, prompt, { project, info, agentName: session.agent, agent, workspace, runtime, started, progress: () => {} });
    },


    async list(options = {}) {
      // Terminals before records: spawn writes the record before it starts the terminal, so a
      // terminal seen here whose record is not read next really has none.
      const owned = options.orphans ? await ownedTerminals() : undefined;
      const listed = await store.list(options.project);
      const orphans = owned && findOrphans(owned, options.project === undefined ? listed : await store.list());
      const withOrphans = (result: SessionList): SessionListing => (orphans ? { ...result, orphans } : result);
      if (options.refresh === false) return withOrphans(listed);
      const record = options.record !== false;
      const byRuntime = new Map<string, Session[]>();
      for (const s of listed.sessions) {
        if (!s.runtime || s.activity === 'exited') continue;
        const group = byRuntime.get(s.runtime.runtime) ?? [];
        group.push(s);
        byRuntime.set(s.runtime.runtime, group);
      }
      const updates = new Map<string, Session>();
      for (const [runtimeName, sessions] of byRuntime) {
        const project = config.projects[sessions[0]?.project ?? ''];
        if (!project) continue;
        let alive: Map<string, boolean>;
        let runtime: Runtime;
        try {
          runtime = await plugins.plugin(project, 'runtime', { plugin: runtimeName, config: project.runtime.plugin === runtimeName ? project.runtime.config : {}, at: 'session' });
          alive = await runtime.aliveMany(sessions.map((s) => s.runtime as RuntimeHandle));
        } catch (error) {
          logger.warn({ runtime: runtimeName, err: describeError(error) }, 'liveness check failed');
          continue;
        }
        for (const s of sessions) {
          const state = alive.get((s.runtime as RuntimeHandle).id);
          if (state === true) continue;
          if (state === undefined) {
            // The runtime could not tell (an ssh host that is down): not exited. Said in this
            // listing only; nothing is recorded, and the next listing that reaches it decides.
            updates.set(s.id, { ...s, activityDetail: `unreachable: the ${runtimeName} runtime cannot reach this session's terminal now (its host may be down)` });
            continue;
          }
          // The terminal died: say so on this very listing, and record it (unless told not to). A kill interrupted
          // between its stop and its record (a crash, a full disk) is finished here.
          const killed = s.lastEvent?.type === KILLING;
          const [type, set] = killed ? ['session.killed', KILLED] : ['runtime.exited', await exitedWith(runtime, s.runtime as RuntimeHandle)];
          const updated = record ? await store.update(s.project, s.id, type, set).catch(() => ({ ...s, ...set })) : { ...s, ...set };
          updates.set(s.id, updated);
        }
      }
      // A workspace deleted behind ao's back: the session needs a human, who is told how to recover.
      for (const listedSession of listed.sessions) {
        const s = updates.get(listedSession.id) ?? listedSession;
        if (s.status === 'spawning' || s.status === 'queued' || TERMINAL_STATUSES.includes(s.status) || existsSync(s.workspacePath)) continue;
        const set: Partial<Session> = {
          status: 'errored',
          activityDetail: `workspace ${s.workspacePath} is missing: \`ao session restore ${s.id}\` recreates it from branch ${s.branch} if that branch still exists`,
        };
        const updated = record ? await store.update(s.project, s.id, 'workspace.missing', set, { path: s.workspacePath }).catch(() => ({ ...s, ...set })) : { ...s, ...set };
        updates.set(s.id, updated);
      }
      if (options.activity) {
        const live = listed.sessions.filter((s) => !updates.has(s.id) && s.runtime && s.activity !== 'exited' && !TERMINAL_STATUSES.includes(s.status));
        const screens = await captureScreens(live);
        for (const s of live) {
          const refreshed = await refreshActivity(s, screens.get(s.id), record).catch(() => undefined);
          if (refreshed) updates.set(s.id, refreshed);
          const withUsage = await usageOf(refreshed ?? s, record).catch(() => undefined);
          if (withUsage) updates.set(s.id, withUsage);
        }
      }
      return withOrphans({ ...listed, sessions: listed.sessions.map((s) => updates.get(s.id) ?? s) });
    },

    get: (id) => store.find(id),

    async send(id, message, options = {}) {
      let delivered = false;
      try {
        const session = await store.find(id);
        const { runtime, handle } = await liveRuntime(session);
        const agent = await sessionAgent(session);
        if (agent) await untilReady(session, agent, runtime, handle);
        const { menu = 'answer', ...rest } = options;
        return await deliver(store, session, runtime, handle, message, {
          ...rest,
          ...(agent ? { menu: { agent, mode: menu, sessionId: id } } : {}),
          ...(agent?.submitDelayMs ? { submitDelayMs: agent.submitDelayMs } : {}),
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
      const runtime: Runtime | undefined = await plugins.plugin(project, 'runtime', runtimeSelection(project, session)).catch(() => undefined);
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
      const project = projectOf(session);
      const runtime: Runtime = await plugins.plugin(project, 'runtime', runtimeSelection(project, session));
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
      const [terminal, runtime] = await Promise.all([plugins.plugin(project, 'terminal'), plugins.plugin(project, 'runtime', runtimeSelection(project, session))]);
      return terminal.attach(session.runtime, { sessionId: session.id, runtime });
    },

    async openTerminal(id, options) {
      const session = await store.find(id);
      const project = projectOf(session);
      if (!session.runtime) throw new AoError('SESSION_STATE', `Session ${id} has no terminal: its agent never started`);
      const runtime: Runtime = await plugins.plugin(project, 'runtime', runtimeSelection(project, session));
      if (!runtime.openTerminal) {
        throw new AoError('RUNTIME_FAILED', `The ${session.runtimeName} runtime offers no terminal stream (openTerminal): attach with \`ao session attach ${id}\``, {
          details: { runtime: session.runtimeName },
        });
      }
      return runtime.openTerminal(session.runtime, options);
    },
  };

  /** Creates the workspace and starts the agent of a recorded session; on failure nothing is left but the archived record. */
  /**
   * The agent of a session that is not running, relaunched in its workspace (recreated when it was
   * deleted and the workspace plugin can), resuming its conversation when the agent can. No limit
   * check: `restore` queued it, or admission admitted it.
   */
  async function relaunch(session: Session): Promise<Session> {
    const id = session.id;
    const project = projectOf(session);
    const runtime: Runtime = await plugins.plugin(project, 'runtime', runtimeSelection(project, session));
    const alive = session.runtime !== null && (await runtime.isAlive(session.runtime));
    const missing = !existsSync(session.workspacePath);
    if (alive && !missing) {
      throw new AoError('SESSION_STATE', `Session ${id} is still running: attach with \`ao session attach ${id}\``);
    }
    // An exit nobody recorded yet (no daemon ran; `ao status` only shows it) goes in the log before the restore.
    if (session.runtime && !alive && session.activity !== 'exited') {
      session = await store.update(session.project, id, 'runtime.exited', await exitedWith(runtime, session.runtime));
    }
    const workspace: Workspace = await plugins.plugin(project, 'workspace', workspaceSelection(project, session));
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

  function runtimeSelection(project: ResolvedProject, session: Session): SlotSelection {
    return plugins.selectionOf(project, 'runtime', session);
  }
  function workspaceSelection(project: ResolvedProject, session: Session): SlotSelection {
    return plugins.selectionOf(project, 'workspace', session);
  }

  /** Every terminal the configured runtimes started for this data dir (one call per distinct runtime). */
  async function ownedTerminals(): Promise<OwnedTerminal[]> {
    const asked = new Set<string>();
    const found = new Map<string, OwnedTerminal>();
    for (const project of Object.values(config.projects)) {
      const key = `${project.runtime.plugin}\0${JSON.stringify(project.runtime.config)}`;
      if (asked.has(key)) continue;
      asked.add(key);
      try {
        const runtime: Runtime = await plugins.plugin(project, 'runtime');
        for (const terminal of (await runtime.listOwned?.()) ?? []) found.set(handleKey(terminal.handle), terminal);
      } catch (error) {
        logger.warn({ runtime: project.runtime.plugin, err: describeError(error) }, 'could not list terminals');
      }
    }
    return [...found.values()];
  }

  /** The one stop of an agent: `kill`, and `cleanup` of a finished session whose agent still runs. */
  async function stopAgent(session: Session): Promise<void> {
    if (!session.runtime) return;
    const runtime: Runtime = await plugins.runtimeOf(session);
    await runtime.stop(session.runtime);
  }

  const cleanups = createSessionCleanup({ store, plugins, stopAgent });
  const { workspaceState } = cleanups;


  const sessionAgent = plugins.agentOf;

  async function liveRuntime(session: Session): Promise<{ runtime: Runtime; handle: RuntimeHandle }> {
    const project = projectOf(session);
    const runtime: Runtime = await plugins.plugin(project, 'runtime', runtimeSelection(project, session));
    if (!session.runtime || !(await runtime.isAlive(session.runtime))) {
      if (session.runtime && session.activity !== 'exited') {
        await store.update(session.project, session.id, 'runtime.exited', { activity: 'exited', activityDetail: 'the agent process is gone' }).catch(() => {});
      }
      throw new AoError('SESSION_STATE', `Session ${session.id} is not running (its agent exited): restore it with \`ao session restore ${session.id}\``);
    }
    return { runtime, handle: session.runtime };
  }

  /** Screens of live sessions, one `captureMany` per runtime where the runtime has it. Keys are session ids. */
  async function captureScreens(sessions: readonly Session[]): Promise<Map<string, string>> {
    const screens = new Map<string, string>();
    const byRuntime = new Map<string, Session[]>();
    for (const s of sessions) byRuntime.set(s.runtimeName, [...(byRuntime.get(s.runtimeName) ?? []), s]);
    for (const group of byRuntime.values()) {
      const first = group[0] as Session;
      const project = config.projects[first.project];
      if (!project) continue;
      const runtime: Runtime = await plugins.plugin(project, 'runtime', runtimeSelection(project, first)).catch(() => undefined as never);
      if (!runtime?.captureMany) continue;
      const byHandle = await runtime.captureMany(group.map((s) => s.runtime as RuntimeHandle), { lines: 50 }).catch(() => new Map<string, string>());
      for (const s of group) {
        const screen = byHandle.get((s.runtime as RuntimeHandle).id);
        if (screen !== undefined) screens.set(s.id, screen);
      }
    }
    return screens;
  }

  /** How long each session's screen has stayed the same, across the looks of this manager (the daemon's polls). */
  const screenAges = createScreenAges();

  /** The agent's activity now, recorded as `activity.changed` when it changed (only returned when `record` is false). */
  async function refreshActivity(session: Session, capturedScreen?: string, record = true): Promise<Session | undefined> {
    const project = projectOf(session);
    const agentSel = config.agents[session.agent];
    if (!agentSel || !session.runtime) return undefined;
    const [agent, runtime]: [Agent, Runtime] = await Promise.all([
      plugins.plugin(project, 'agent', agentSel),
      plugins.plugin(project, 'runtime', runtimeSelection(project, session)),
    ]);
    const screen = capturedScreen ?? (await runtime.capture(session.runtime, { lines: 50 }).catch(() => undefined));
    const age = screen !== undefined ? screenAges.observe(session.id, screen, clock.now()) : undefined;
    const report = await agent.detectActivity({
      workspacePath: session.workspacePath,
      alive: true,
      ...(screen !== undefined ? { screen } : {}),
      ...(age !== undefined ? { msSinceScreenChange: age } : {}),
      startedAt: Date.parse(session.startedAt ?? session.createdAt),
      now: clock.now(),
    });
    const set: Partial<Session> = {};
    const changed = report.activity !== session.activity;
    if (changed) set.activity = report.activity;
    // Events only when something a person acts on changes: the activity, or the question or block
    // shown. A busy screen's detail changes with every spinner frame (58 of 82 events of one run).
    const detail = report.detail ?? null;
    if (detail !== session.activityDetail && (changed || report.activity === 'waiting_input' || report.activity === 'blocked')) set.activityDetail = detail;
    if (report.nativeSessionId && report.nativeSessionId !== session.nativeSessionId) set.nativeSessionId = report.nativeSessionId;
    if (!Object.keys(set).length) return undefined;
    if (!record) return { ...session, ...set };
    return store.update(session.project, session.id, 'activity.changed', set, { source: report.source, from: session.activity });
  }

  /** Tokens from the agent's own log, recorded when they changed (only returned when `record` is false; see usage/refresh.ts). */
  async function usageOf(session: Session, record = true): Promise<Session | undefined> {
    const agentSel = config.agents[session.agent];
    if (!agentSel) return undefined;
    const agent: Agent = await plugins.plugin(projectOf(session), 'agent', agentSel);
    if (record) return refreshUsage(agent, session, store, clock.now());
    const change = await readUsageChange(agent, session, clock.now());
    return change && { ...session, usage: change.usage, usageLogs: change.usageLogs };
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
    const submitDelayMs = agent?.submitDelayMs;
    return deliver(store, session, runtime, handle, text, { data: { initial: true }, ...(submitDelayMs ? { submitDelayMs } : {}) });
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

  return manager;
}

function handleKey(handle: RuntimeHandle): string {
  return `${handle.runtime}\0${handle.id}`;
}

/** The terminals no record claims, by session id or by handle. An unreadable record still claims its id. */
function findOrphans(owned: readonly OwnedTerminal[], records: SessionList): OwnedTerminal[] {
  const ids = new Set(records.sessions.map((s) => s.id));
  for (const problem of records.problems) ids.add(basename(problem.path).replace(/\.(events\.jsonl|json)$/, ''));
  const handles = new Set(records.sessions.flatMap((s) => (s.runtime ? [handleKey(s.runtime)] : [])));
  return owned.filter((terminal) => !ids.has(terminal.sessionId) && !handles.has(handleKey(terminal.handle)));
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

interface LaunchContext {
  project: ResolvedProject;
  info: ProjectInfo;
  agentName: string;
  agent: Agent;
  workspace: Workspace;
  runtime: Runtime;
  started: number;
  progress: (step: string) => void;
}

/** Recorded before a kill stops the agent: the intent a later listing completes if the kill is cut short. */
const KILLING = 'session.killing';
const KILLED: Partial<Session> = { status: 'killed', activity: 'exited', activityDetail: 'killed' };
const EXITED: Partial<Session> = { activity: 'exited', activityDetail: 'the agent process is gone' };

/**
 * What an exited agent last said, where its terminal still shows it (tmux keeps a dead pane):
 * the last line that reads like an error, else the last line. Read once, when the exit is recorded,
 * so the reason is in the session instead of only in scrollback.
 */
async function exitedWith(runtime: Runtime, handle: RuntimeHandle): Promise<Partial<Session>> {
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

/** A `DISK_FULL` error with what was (or was not) done put first; any other error as it is. */
function withOutcome(error: unknown, outcome: string): unknown {
  if (!isAoError(error) || error.code !== 'DISK_FULL') return error;
  return new AoError('DISK_FULL', `${outcome} ${error.message}`, { cause: error, details: { ...error.details, outcome } });
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

