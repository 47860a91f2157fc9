import type { Notification } from '../contracts/notifier.js';
import type { Clock, Logger } from '../contracts/plugin.js';
import type { Runtime } from '../contracts/runtime.js';
import type { PullRequest, Scm } from '../contracts/scm.js';
import type { Tracker } from '../contracts/tracker.js';
import type { Workspace } from '../contracts/workspace.js';
import type { Approval, ApprovalAction, ApprovalActionType } from '../approvals/schema.js';
import type { ApprovalStore } from '../approvals/store.js';
import type { ResolvedConfig, ResolvedProject, SlotSelection } from '../config/resolve.js';
import type { Autonomy } from '../config/schema.js';
import { AoError, describeError, isAoError } from '../errors.js';
import type { SessionManager } from '../sessions/manager.js';
import type { Session, SessionStatus } from '../sessions/schema.js';
import type { SessionStore } from '../sessions/store.js';
import { FINAL_STATUSES, samePr } from './derive.js';
import { createLedger, type Ledger } from './ledger.js';
import type { ReactionRunner } from './runner.js';
import { sessionPullRequest } from '../sessions/naming.js';

/** What listeners of the lifecycle hear (the daemon pushes these to the dashboard). */
export type LifecycleEvent =
  | { type: 'transition'; project: string; sessionId: string; from: SessionStatus; to: SessionStatus; reason: string }
  | { type: 'reaction'; project: string; sessionId: string; reaction: string; key: string; outcome?: string; error?: string }
  | { type: 'approval'; project: string; sessionId: string; approvalId: string; action: ApprovalActionType; status: Approval['status'] }
  /** After every poll: its summary, or why it failed as a whole. */
  | { type: 'poll'; ts: string; result?: unknown; error?: string };

export interface ActionDeps {
  config: ResolvedConfig;
  manager: SessionManager;
  store: SessionStore;
  approvals: ApprovalStore;
  logger: Logger;
  clock: Clock;
  runner: ReactionRunner;
  emit(event: LifecycleEvent): void;
}

/**
 * Which actions wait for a human: `manual` every action; `copilot` merges and sends after the
 * reaction's retries ran out (`escalated`); `autopilot` none. Notifications never wait.
 */
export function needsApproval(level: Autonomy, type: ApprovalActionType, escalated: boolean): boolean {
  if (level === 'autopilot') return false;
  if (level === 'manual') return true;
  return type === 'merge' || escalated;
}

const CAREFUL_FIRST: readonly Autonomy[] = ['manual', 'copilot', 'autopilot'];

/**
 * The autonomy level for a session of `agentName` in `project`. An agent's own level
 * (`agents.<name>.autonomy`) applies over the top-level one; when the project sets a level too,
 * the more careful of the two wins, so a project marked `manual` is never merged into by an
 * `autopilot` agent.
 */
export function autonomyFor(project: Pick<ResolvedProject, 'autonomy' | 'autonomySet'>, agentLevel: Autonomy | undefined): Autonomy {
  if (agentLevel === undefined) return project.autonomy;
  if (!project.autonomySet) return agentLevel;
  return CAREFUL_FIRST.indexOf(agentLevel) < CAREFUL_FIRST.indexOf(project.autonomy) ? agentLevel : project.autonomy;
}

export function describeAction(action: ApprovalAction): string {
  switch (action.type) {
    case 'send':
      return 'send a message to the agent';
    case 'merge':
      return `merge PR #${String(action.payload.prId)}`;
    case 'cleanup':
      return 'close the issue and remove the workspace';
    case 'open-pr':
      return 'open a pull request';
  }
}

/** Performs lifecycle actions; used by reactions, by approved approvals and by `ao pr open`. */
export function createActionExecutor(deps: ActionDeps) {
  const { config, manager, store, approvals, logger, runner } = deps;

  const projectOf = (session: Session): ResolvedProject => {
    const p = config.projects[session.project];
    if (!p) throw new AoError('PROJECT_NOT_FOUND', `Session ${session.id} belongs to project "${session.project}", which is not in ${config.file}`);
    return p;
  };
  const sessionSelection = (project: ResolvedProject, slot: 'runtime' | 'workspace', name: string, session: Session): SlotSelection =>
    name === project[slot].plugin ? project[slot] : { plugin: name, config: {}, at: `session ${session.id}` };

  /** Every notifier of the project; one failing is logged and does not stop the others. */
  async function notify(project: ResolvedProject, notification: Notification): Promise<number> {
    let delivered = 0;
    for (const sel of project.notifiers) {
      try {
        const notifier = await manager.plugin(project, 'notifier', sel);
        await notifier.notify({ project: project.name, ...notification });
        delivered++;
      } catch (error) {
        logger.warn({ notifier: sel.plugin, event: notification.event, err: describeError(error) }, 'notifier failed');
      }
    }
    return delivered;
  }

  /**
   * Sets status (and PR) in ONE event, under the session lock, re-reading first: a status a human
   * set meanwhile (`killed`) is never overridden. Returns the session as it is afterwards.
   */
  async function transition(session: Session, ledger: Ledger | undefined, to: SessionStatus, reason: string, pr: Session['pr'] = session.pr): Promise<Session> {
    return store.withLock(session.project, session.id, async () => {
      const current = await store.get(session.project, session.id);
      if (FINAL_STATUSES.includes(current.status) && to !== 'done') return current;
      if (current.status === 'killed') return current;
      if (current.status === to) {
        if (samePr(current.pr, pr)) return current;
        return (await runner.record(current, ledger, [{ type: 'pr.updated', set: { pr } }])).session;
      }
      const next = (await runner.record(current, ledger, [{ type: 'status.changed', set: { status: to, pr }, data: { from: current.status, to, reason } }])).session;
      deps.emit({ type: 'transition', project: current.project, sessionId: current.id, from: current.status, to, reason });
      logger.info({ session: current.id, from: current.status, to, reason }, 'status changed');
      return next;
    });
  }

  const toPullRequest = (session: Session): PullRequest => {
    const pr = sessionPullRequest(session);
    if (!pr) throw new AoError('PR_NOT_FOUND', `Session ${session.id} has no pull request: open one with \`ao pr open ${session.id}\``);
    return pr;
  };

  async function openPullRequest(session: Session, ledger?: Ledger): Promise<Session> {
    const project = projectOf(session);
    const scm: Scm = await manager.plugin(project, 'scm');
    const title = session.title ?? (session.issue ? `Issue ${session.issue}` : session.branch);
    const body = [`Opened by ao for session ${session.id}${session.issue ? ` (issue ${session.issue})` : ''}.`].join('\n');
    const pr = await scm.openPullRequest({ project: project.name, branch: session.branch, baseBranch: session.baseBranch, title, body, workspacePath: session.workspacePath });
    const field = { id: pr.id, ...(pr.url ? { url: pr.url } : {}), state: pr.state };
    return transition(session, ledger, pr.state === 'merged' ? 'merged' : 'pr_open', `PR #${pr.id} opened`, field);
  }

  async function merge(session: Session, payload: Record<string, unknown>, ledger?: Ledger): Promise<string> {
    const project = projectOf(session);
    const scm: Scm = await manager.plugin(project, 'scm');
    const pr = toPullRequest(session);
    if (payload.prId !== undefined && String(payload.prId) !== pr.id) {
      throw new AoError('PR_STATE', `Session ${session.id} now has PR #${pr.id}, not #${String(payload.prId)}; not merging.`);
    }
    const method = payload.method as 'merge' | 'squash' | 'rebase' | undefined;
    await scm.merge(pr, method ? { method } : undefined);
    await transition(session, ledger, 'merged', `PR #${pr.id} merged by ao`, { ...session.pr!, state: 'merged' });
    return `merged PR #${pr.id}`;
  }

  /** The `merged` reaction's work: close the issue, stop the agent, remove a clean workspace, `done`. */
  async function cleanup(session: Session, payload: Record<string, unknown>, ledger?: Ledger): Promise<string> {
    const project = projectOf(session);
    const notes: string[] = [];
    if (payload.closeIssue !== false && session.issue) {
      const tracker: Tracker = await manager.plugin(project, 'tracker');
      await tracker.close(session.issue);
      notes.push(`closed issue ${session.issue}`);
    }
    if (payload.removeWorkspace !== false) {
      if (session.runtime) {
        const runtime: Runtime = await manager.plugin(project, 'runtime', sessionSelection(project, 'runtime', session.runtimeName, session));
        await runtime.stop(session.runtime).catch((error: unknown) => logger.warn({ session: session.id, err: describeError(error) }, 'could not stop the agent'));
      }
      const workspace: Workspace = await manager.plugin(project, 'workspace', sessionSelection(project, 'workspace', session.workspaceName, session));
      const info = { path: session.workspacePath, branch: session.branch, baseBranch: session.baseBranch, repoPath: project.path };
      const state = await workspace.state(info);
      if (!state.exists) notes.push('workspace already gone');
      else if (state.dirty) {
        notes.push(`workspace kept: uncommitted changes in ${session.workspacePath}`);
        await notify(project, {
          event: 'workspace-kept',
          level: 'warn',
          sessionId: session.id,
          title: `${session.id}: workspace kept after merge`,
          body: `${session.workspacePath} has uncommitted changes; commit or discard them, then run \`ao session cleanup\`.`,
        });
      } else {
        try {
          await workspace.remove(info);
          await runner.record(session, ledger, [{ type: 'workspace.removed', set: { activity: 'exited', activityDetail: 'finished' }, data: { path: session.workspacePath } }]);
          notes.push('workspace removed');
        } catch (error) {
          if (!isAoError(error) || error.code !== 'WORKSPACE_DIRTY') throw error;
          notes.push(`workspace kept: ${error.message}`);
        }
      }
    }
    await transition(session, ledger, 'done', notes.join('; ') || 'merged');
    return notes.join('; ') || 'done';
  }

  /** Runs an approval-held (or gated) action now. Resolves to the outcome. A send is logged as `deliveryId`. */
  async function execute(session: Session, action: ApprovalAction, ledger?: Ledger, deliveryId?: string): Promise<string> {
    switch (action.type) {
      case 'send': {
        const message = String(action.payload.message ?? '');
        // A reaction never types into a menu: that answer belongs to a human (`menu: 'refuse'`).
        await manager.send(session.id, message, { menu: 'refuse', ...(deliveryId === undefined ? {} : { deliveryId }) });
        return `sent (${message.length} chars)`;
      }
      case 'merge':
        return merge(session, action.payload, ledger);
      case 'cleanup':
        return cleanup(session, action.payload, ledger);
      case 'open-pr': {
        const next = await openPullRequest(session, ledger);
        return `opened PR #${next.pr?.id ?? '?'}`;
      }
    }
  }

  /** Queues `action` for a human and tells them; idempotent per `key`. */
  async function requestApproval(session: Session, reaction: string, key: string, action: ApprovalAction, reason: string): Promise<string> {
    const project = projectOf(session);
    const { approval, created } = await approvals.create({ key, project: project.name, sessionId: session.id, action, reason, reaction });
    if (approval.status === 'pending') {
      if (created) deps.emit({ type: 'approval', project: project.name, sessionId: session.id, approvalId: approval.id, action: action.type, status: 'pending' });
      await notify(project, {
        event: 'approval-requested',
        level: 'action',
        sessionId: session.id,
        title: `Approval needed: ${describeAction(action)} (${session.id})`,
        body: `${reason}\nApprove: ao approvals approve ${approval.id}\nReject:  ao approvals reject ${approval.id} -m "why"`,
        ...(session.pr?.url ? { url: session.pr.url } : {}),
      });
    }
    return `approval ${approval.id} requested`;
  }

  /**
   * Runs an approved approval's action exactly once (keyed `approval:<id>` in the session log) and
   * marks the approval executed. Safe to call again after a crash, from any process.
   */
  async function executeApproval(approval: Approval): Promise<Approval> {
    const session = await store.get(approval.project, approval.sessionId);
    const ledger = createLedger(await store.events(approval.project, approval.sessionId));
    const key = `approval:${approval.id}`;
    const result = await runner.run(session, ledger, {
      reaction: 'approval',
      key,
      atMostOnce: approval.action.type === 'send',
      ...(approval.action.type === 'send' ? { message: String(approval.action.payload.message ?? '') } : {}),
      detail: { approval: approval.id, action: approval.action.type },
      effect: async ({ deliveryId }) => execute(await store.get(approval.project, approval.sessionId), approval.action, ledger, deliveryId),
    });
    const done = ledger.get(key)?.done;
    if (done) return approvals.markExecuted(approval.id, done.outcome);
    if (result?.error) {
      throw new AoError('APPROVAL_STATE', `Approval ${approval.id} is approved but its action failed: ${result.error} (ao retries it on the next poll)`, { details: { id: approval.id } });
    }
    return approvals.get(approval.id);
  }

  return { notify, transition, openPullRequest, execute, requestApproval, executeApproval, projectOf, toPullRequest };
}

export type ActionExecutor = ReturnType<typeof createActionExecutor>;
