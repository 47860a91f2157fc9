import type { AoPaths, Clock, Exec, Logger } from '../contracts/plugin.js';
import type { PullRequest, PullRequestStatus, Scm } from '../contracts/scm.js';
import type { Workspace } from '../contracts/workspace.js';
import { createApprovalStore, type ApprovalStore } from '../approvals/store.js';
import type { Approval } from '../approvals/schema.js';
import type { ResolvedConfig, ResolvedProject } from '../config/resolve.js';
import { AoError, describeError } from '../errors.js';
import { exec as runCommand } from '../exec.js';
import { gitBranchHeads } from '../git.js';
import type { SessionManager } from '../sessions/manager.js';
import type { Session } from '../sessions/schema.js';
import type { SessionStore } from '../sessions/store.js';
import { autonomyFor, createActionExecutor, needsApproval, type LifecycleEvent } from './actions.js';
import { activitySince, deriveStatus, enteredStatusAt, FINAL_STATUSES, samePr } from './derive.js';
import { createLedger } from './ledger.js';
import { idsHash } from './messages.js';
import { interruptedSends, mergedReaction, planReactions } from './reactions.js';
import { createReactionRunner, type ReactionResult, type RunnerHooks } from './runner.js';

export interface LifecycleDeps {
  config: ResolvedConfig;
  manager: SessionManager;
  store: SessionStore;
  /** Default: the store under `paths.home/approvals` with `config.approvals.expiryHours`. */
  approvals?: ApprovalStore;
  paths: AoPaths;
  logger: Logger;
  clock: Clock;
  /** Test seams; see `RunnerHooks`. */
  hooks?: RunnerHooks;
  /** Runs git; default: core's `exec`. */
  exec?: Exec;
}

export interface PollSummary {
  startedAt: string;
  durationMs: number;
  /** Sessions looked at (not done, killed or errored). */
  sessions: number;
  transitions: Extract<LifecycleEvent, { type: 'transition' }>[];
  reactions: ReactionResult[];
  /** Approved approvals whose action ran this poll. */
  approvals: { id: string; outcome?: string; error?: string }[];
  errors: { project?: string; sessionId?: string; message: string }[];
}

export interface LifecycleManager {
  /** One pass over every unfinished session of every project. Serialized: a call during a poll joins it. */
  pollOnce(): Promise<PollSummary>;
  /** Polls every `lifecycle.pollIntervalMs` until `stop()`. */
  start(): void;
  /** Stops the timer and waits for a running poll. */
  stop(): Promise<void>;
  /** Polls again soon (debounced ~200 ms): after a spawn, a review, an approval. */
  trigger(reason: string): void;
  /** Listens to transitions, reactions and new approvals; returns the unsubscribe function. */
  onEvent(listener: (event: LifecycleEvent) => void): () => void;
  /** Approves a pending approval and runs its action once, now (also without a daemon). */
  approve(id: string, options?: { by?: string; message?: string }): Promise<Approval>;
  /** Rejects a pending approval; nothing runs and the agent is not told (see docs/lifecycle). */
  reject(id: string, options?: { by?: string; message?: string }): Promise<Approval>;
  /** Opens the session's PR now (`ao pr open`), whatever the autonomy level: a human asked. */
  openPullRequest(sessionId: string): Promise<Session>;
  /**
   * Merges the session's PR now (`ao pr merge`), whatever the autonomy level: a human asked.
   * Throws `PR_STATE` on failing CI or conflicts unless `force`, `PR_NOT_FOUND` without a PR.
   */
  mergePullRequest(sessionId: string, options?: { force?: boolean; method?: 'merge' | 'squash' | 'rebase'; by?: string }): Promise<{ session: Session; outcome: string }>;
  readonly approvals: ApprovalStore;
}

const TRIGGER_DEBOUNCE_MS = 200;

export function createLifecycleManager(deps: LifecycleDeps): LifecycleManager {
  const { config, manager, store, logger, clock } = deps;
  const plugins = manager.plugins;
  const approvals = deps.approvals ?? createApprovalStore({ paths: deps.paths, clock, sessions: store, expiryHours: config.approvals.expiryHours });
  const listeners = new Set<(event: LifecycleEvent) => void>();
  let summary: PollSummary | undefined;
  const emit = (event: LifecycleEvent): void => {
    if (event.type === 'transition') summary?.transitions.push(event);
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        logger.warn({ err: describeError(error) }, 'lifecycle listener threw');
      }
    }
  };
  const runner = createReactionRunner({
    store,
    logger,
    clock,
    ...(deps.hooks ? { hooks: deps.hooks } : {}),
    delivery: {
      settle: (session, deliveryId) => manager.settleDelivery(session.id, deliveryId),
      async tellHuman(session, reaction, why) {
        const project = config.projects[session.project];
        if (!project) return;
        await exec.notify(project, {
          event: 'delivery-uncertain',
          level: 'action',
          sessionId: session.id,
          title: `${session.id}: a ${reaction} message may not have reached the agent`,
          body: `${why}\nLook at its screen with \`ao session attach ${session.id}\`; if the message is not there, send it again with \`ao send ${session.id} …\`.`,
        });
      },
    },
  });
  const exec = createActionExecutor({ config, manager, plugins, store, approvals, logger, clock, runner, emit });

  // Branch head at which a session was last found level with its base: until the branch moves,
  // asking git again each poll is wasted work (one for-each-ref per project replaces it).
  const levelAt = new Map<string, string>();

  let running: Promise<PollSummary> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let triggerTimer: ReturnType<typeof setTimeout> | undefined;
  let started = false;
  let againAfterRun = false;

  async function runApproved(all: readonly Approval[], s: PollSummary): Promise<void> {
    for (const a of all.filter((x) => x.status === 'approved' && !x.executedAt)) {
      try {
        const after = await exec.executeApproval(a);
        if (after.executedAt) s.approvals.push({ id: a.id, ...(after.outcome ? { outcome: after.outcome } : {}) });
      } catch (error) {
        s.approvals.push({ id: a.id, error: describeError(error) });
      }
    }
  }

  /** Opens a PR for a session whose agent went quiet with commits ahead of its base (or asks to). */
  function levelFor(project: ResolvedProject, session: Session) {
    return autonomyFor(project, config.agentAutonomy[session.agent]);
  }

  async function maybeOpenPr(project: ResolvedProject, session: Session, s: PollSummary, branchHeads: () => Promise<Map<string, string>>): Promise<Session> {
    if (!config.lifecycle.autoOpenPr || session.role === 'orchestrator') return session;
    if (session.pr && session.pr.state !== 'closed') return session;
    if (!['working', 'needs_input', 'stuck'].includes(session.status)) return session;
    if (session.activity !== 'idle' && session.activity !== 'exited') return session;
    const head = (await branchHeads()).get(session.branch);
    if (head !== undefined && levelAt.get(session.id) === head) return session;
    const workspace: Workspace = await plugins.plugin(project, 'workspace', plugins.selectionOf(project, 'workspace', session));
    const state = await workspace.state({ path: session.workspacePath, branch: session.branch, baseBranch: session.baseBranch, repoPath: project.path });
    if (!state.exists || state.ahead === 0) {
      if (state.exists && head !== undefined) levelAt.set(session.id, head);
      return session;
    }
    const ledger = createLedger(await store.events(project.name, session.id));
    // The branch head is part of the key: a rejected or expired open-pr is asked again after new commits.
    const key = `open-pr:${session.id}:${session.pr?.id ?? 'first'}${head === undefined ? '' : `:${head}`}`;
    const ask = needsApproval(levelFor(project, session), 'open-pr', false);
    const result = await runner.run(session, ledger, {
      reaction: 'open-pr',
      key,
      atMostOnce: false,
      detail: { action: 'open-pr', ahead: state.ahead },
      effect: async () =>
        ask
          ? exec.requestApproval(session, 'open-pr', key, { type: 'open-pr', payload: {} }, `${session.branch} has ${state.ahead} commit(s) ahead of ${session.baseBranch} and the agent is ${session.activity}`)
          : `opened PR #${(await exec.openPullRequest(session, ledger)).pr?.id ?? '?'}`,
    });
    if (result) s.reactions.push(result);
    return store.get(project.name, session.id);
  }

  async function pollProject(project: ResolvedProject, listed: Session[], s: PollSummary, approvalsOf: (sessionId: string) => Approval[]): Promise<void> {
    const active: Session[] = [];
    let heads: Promise<Map<string, string>> | undefined;
    const branchHeads = (): Promise<Map<string, string>> =>
      (heads ??= gitBranchHeads(deps.exec ?? runCommand, project.path).catch(() => new Map<string, string>()));
    for (const session of listed) {
      if (FINAL_STATUSES.includes(session.status)) continue;
      try {
        active.push(await maybeOpenPr(project, session, s, branchHeads));
      } catch (error) {
        s.errors.push({ project: project.name, sessionId: session.id, message: describeError(error) });
        active.push(session);
      }
    }
    s.sessions += active.length;
    const open = active.filter((x) => x.pr?.state === 'open' && x.pr);
    let statuses = new Map<string, PullRequestStatus>();
    if (open.length > 0) {
      try {
        const scm: Scm = await plugins.plugin(project, 'scm');
        statuses = await scm.pollPullRequests(open.map((x) => exec.toPullRequest(x) satisfies PullRequest));
      } catch (error) {
        s.errors.push({ project: project.name, message: `PR poll failed: ${describeError(error)}` });
      }
    }
    for (const session of active) {
      try {
        await pollSession(project, session, session.pr ? statuses.get(session.pr.id) : undefined, s, approvalsOf(session.id));
      } catch (error) {
        logger.warn({ session: session.id, err: describeError(error) }, 'session poll failed');
        s.errors.push({ project: project.name, sessionId: session.id, message: describeError(error) });
      }
    }
    await allComplete(project, s).catch((error: unknown) => s.errors.push({ project: project.name, message: describeError(error) }));
  }

  async function pollSession(project: ResolvedProject, listed: Session, pr: PullRequestStatus | undefined, s: PollSummary, mine: Approval[]): Promise<void> {
    const events = await store.events(project.name, listed.id);
    const ledger = createLedger(events);
    const now = clock.now();
    const quiet = now - activitySince(listed, events) >= config.lifecycle.stuckAfterMs;
    // Idle at its prompt with no PR: had it committed, the PR would be open by now (autoOpenPr), so
    // nothing came of the task and nobody is told unless this counts as stuck.
    const idleWithoutWork = listed.activity === 'idle' && !listed.pr && (listed.status === 'working' || listed.status === 'stuck') && config.lifecycle.autoOpenPr;
    const stuck = quiet && (listed.activity === 'active' ? true : idleWithoutWork ? 'idle at its prompt with no commits' : false);
    const derived = deriveStatus({ session: listed, ...(pr ? { pr } : {}), stuck });
    let session = listed;
    if (derived.status !== listed.status || !samePr(derived.pr, listed.pr)) {
      session = await exec.transition(listed, ledger, derived.status, derived.reason, derived.pr);
    }
    if (FINAL_STATUSES.includes(session.status)) return;
    const enteredAt = (session.status !== listed.status ? session.lastEvent?.ts : enteredStatusAt(events, session.status)) ?? session.startedAt ?? session.createdAt;
    // Reactions see the project at this session's level (its agent may set its own).
    const level = levelFor(project, session);
    const plan = { session, project: level === project.autonomy ? project : { ...project, autonomy: level }, reactions: config.reactions, ledger, exec, now, enteredAt, stuckAfterMs: config.lifecycle.stuckAfterMs };
    const record = (result: ReactionResult | undefined): void => {
      if (!result) return;
      s.reactions.push(result);
      emit({ type: 'reaction', project: project.name, ...result });
    };
    // Sends a crashed runner left unfinished come first, whether or not they are still due.
    for (const run of interruptedSends(plan)) record(await runner.run(session, ledger, run));
    for (const run of planReactions({ ...plan, approvals: mine, ...(pr ? { pr } : {}) })) record(await runner.run(session, ledger, run));
    // A merge made just now is cleaned up in this same poll.
    const latest = await store.get(project.name, session.id);
    const merged = mergedReaction({ ...plan, session: latest });
    if (merged) record(await runner.run(latest, ledger, merged));
  }

  /** One summary notification when every worker session of the project is done (killed/errored ones aside). */
  async function allComplete(project: ResolvedProject, s: PollSummary): Promise<void> {
    if (!config.reactions['all-complete'].enabled) return;
    const { sessions } = await store.list(project.name);
    const workers = sessions.filter((x) => x.role !== 'orchestrator' && x.status !== 'killed' && x.status !== 'errored');
    if (workers.length === 0 || !workers.every((x) => x.status === 'done' || x.status === 'merged')) return;
    const last = workers.at(-1)!;
    const ledger = createLedger(await store.events(project.name, last.id));
    const ids = workers.map((x) => x.id);
    const result = await runner.run(last, ledger, {
      reaction: 'all-complete',
      key: `all-complete:${project.name}:${idsHash(ids)}`,
      atMostOnce: false,
      detail: { action: 'notify', sessions: ids },
      effect: async () =>
        `notified ${await exec.notify(project, {
          event: 'all-complete',
          level: 'info',
          title: `${project.name}: all ${ids.length} session(s) complete`,
          body: workers.map((x) => `${x.id} ${x.status}${x.pr ? ` (PR #${x.pr.id})` : ''}${x.title ? `: ${x.title}` : ''}`).join('\n'),
        })} notifier(s)`,
    });
    if (result) s.reactions.push(result);
  }

  async function poll(): Promise<PollSummary> {
    const startedAt = clock.now();
    const s: PollSummary = { startedAt: new Date(startedAt).toISOString(), durationMs: 0, sessions: 0, transitions: [], reactions: [], approvals: [], errors: [] };
    summary = s;
    try {
      // Read once per poll (which also marks overdue ones expired): approved ones run now, expired
      // and rejected ones are told to a human by their session's reactions.
      const all = await approvals.list().then(
        (r) => r.approvals,
        (error: unknown) => {
          s.errors.push({ message: `approvals: ${describeError(error)}` });
          return [] as Approval[];
        },
      );
      await runApproved(all, s).catch((error: unknown) => s.errors.push({ message: `approvals: ${describeError(error)}` }));
      const approvalsOf = (project: string) => (sessionId: string) => all.filter((a) => a.project === project && a.sessionId === sessionId);
      // Liveness and activity for every session at once (dead terminals become `exited`).
      const { sessions, problems } = await manager.list({ activity: true });
      for (const p of problems) s.errors.push({ message: `${p.path}: ${p.reason}` });
      for (const project of Object.values(config.projects)) {
        const mine = sessions.filter((x) => x.project === project.name);
        if (mine.length > 0) await pollProject(project, mine, s, approvalsOf(project.name));
      }
    } finally {
      summary = undefined;
      s.durationMs = clock.now() - startedAt;
    }
    logger.debug({ sessions: s.sessions, transitions: s.transitions.length, reactions: s.reactions.length, errors: s.errors.length, ms: s.durationMs }, 'lifecycle poll');
    return s;
  }

  const lifecycle: LifecycleManager = {
    approvals,
    pollOnce() {
      if (!running) {
        running = poll()
          .then(
            (result) => {
              emit({ type: 'poll', ts: new Date(clock.now()).toISOString(), result });
              return result;
            },
            (error: unknown) => {
              emit({ type: 'poll', ts: new Date(clock.now()).toISOString(), error: describeError(error) });
              throw error;
            },
          )
          .finally(() => {
          running = undefined;
          if (againAfterRun) {
            againAfterRun = false;
            lifecycle.trigger('requested during a poll');
          }
        });
      }
      return running;
    },
    start() {
      if (started) return;
      started = true;
      const loop = (): void => {
        timer = setTimeout(() => {
          lifecycle
            .pollOnce()
            .catch((error: unknown) => logger.error({ err: describeError(error) }, 'lifecycle poll failed'))
            .finally(() => {
              if (started) loop();
            });
        }, config.lifecycle.pollIntervalMs);
      };
      lifecycle.trigger('start');
      loop();
    },
    async stop() {
      started = false;
      if (timer) clearTimeout(timer);
      if (triggerTimer) clearTimeout(triggerTimer);
      timer = triggerTimer = undefined;
      againAfterRun = false;
      await running?.catch(() => undefined);
    },
    trigger(reason) {
      logger.debug({ reason }, 'lifecycle poll triggered');
      if (running) {
        againAfterRun = true;
        return;
      }
      if (triggerTimer) return;
      triggerTimer = setTimeout(() => {
        triggerTimer = undefined;
        lifecycle.pollOnce().catch((error: unknown) => logger.error({ err: describeError(error) }, 'lifecycle poll failed'));
      }, TRIGGER_DEBOUNCE_MS);
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async approve(id, options = {}) {
      let approval = await approvals.get(id);
      if (approval.status === 'pending') {
        approval = await approvals.decide(id, 'approved', options);
        emit({ type: 'approval', project: approval.project, sessionId: approval.sessionId, approvalId: id, action: approval.action.type, status: 'approved' });
      } else if (approval.supersededBy) {
        // Withdrawn by ao: the store's refusal names the question to decide instead.
        return approvals.decide(id, 'approved', options);
      } else if (approval.status !== 'approved' || approval.executedAt) {
        throw new AoError('APPROVAL_STATE', `Approval ${id} is already ${approval.status}${approval.executedAt ? ` and was executed (${approval.outcome ?? 'done'})` : ''}.`, { details: { id, status: approval.status } });
      }
      // Approved but not executed (a crash, or the daemon is on it): run or join it, exactly once.
      return exec.executeApproval(approval);
    },
    async reject(id, options = {}) {
      const approval = await approvals.decide(id, 'rejected', options);
      emit({ type: 'approval', project: approval.project, sessionId: approval.sessionId, approvalId: id, action: approval.action.type, status: 'rejected' });
      return approval;
    },
    async openPullRequest(sessionId) {
      const session = await store.find(sessionId);
      if (session.pr?.state === 'open') return session;
      if (session.pr?.state === 'merged') throw new AoError('PR_STATE', `Session ${sessionId}'s PR #${session.pr.id} is already merged.`);
      return exec.openPullRequest(session, createLedger(await store.events(session.project, session.id)));
    },
    async mergePullRequest(sessionId, options = {}) {
      return exec.mergeByHand(await store.find(sessionId), options);
    },
  };
  return lifecycle;
}
