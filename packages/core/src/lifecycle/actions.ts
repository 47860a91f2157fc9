import type { Notification } from '../contracts/notifier.js';
import type { Clock, Logger } from '../contracts/plugin.js';
import type { PullRequest, Scm } from '../contracts/scm.js';
import type { Tracker } from '../contracts/tracker.js';
import type { Approval, ApprovalAction, ApprovalActionType } from '../approvals/schema.js';
import type { ApprovalStore } from '../approvals/store.js';
import type { ResolvedConfig, ResolvedProject } from '../config/resolve.js';
import type { Autonomy } from '../config/schema.js';
import { AoError, describeError, isAoError } from '../errors.js';
import type { SessionCleanupOutcome, SessionManager } from '../sessions/manager.js';
import type { PluginHost } from '../plugins/host.js';
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
  /** Where the notifiers, scm, tracker, runtime and workspace of a project or a session come from. */
  plugins: PluginHost;
  store: SessionStore;
  approvals: ApprovalStore;
  logger: Logger;
  clock: Clock;
  runner: ReactionRunner;
  emit(event: LifecycleEvent): void;
}

/**
 * Which actions wait for a human: `manual` every action; `copilot` sends after the reaction's
 * retries ran out (`escalated`) and merges the human has not consented to; `autopilot` none.
 * In `copilot` a human's approving review of the PR head is the consent to merge (`consented`):
 * one human step per PR. Notifications never wait.
 */
export function needsApproval(level: Autonomy, type: ApprovalActionType, escalated: boolean, consented = false): boolean {
  if (level === 'autopilot') return false;
  if (level === 'manual') return true;
  return (type === 'merge' && !consented) || escalated;
}

/** What a human can run to do a held action themselves (named when an approval expires or is rejected). */
export function byHand(action: ApprovalAction, sessionId: string): string {
  switch (action.type) {
    case 'send':
      return `ao send ${sessionId} …`;
    case 'merge':
      return `ao pr merge ${sessionId}`;
    case 'cleanup':
      return 'ao session cleanup';
    case 'open-pr':
      return `ao pr open ${sessionId}`;
  }
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
  const { manager, plugins, store, approvals, logger, runner } = deps;
  const { projectOf } = plugins;

  /** Every notifier of the project; one failing is logged and does not stop the others. */
  async function notify(project: ResolvedProject, notification: Notification): Promise<number> {
    let delivered = 0;
    for (const sel of project.notifiers) {
      try {
        const notifier = await plugins.plugin(project, 'notifier', sel);
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
    const scm: Scm = await plugins.plugin(project, 'scm');
    const title = session.title ?? (session.issue ? `Issue ${session.issue}` : session.branch);
    const body = [`Opened by ao for session ${session.id}${session.issue ? ` (issue ${session.issue})` : ''}.`].join('\n');
    const pr = await scm.openPullRequest({ project: project.name, branch: session.branch, baseBranch: session.baseBranch, title, body, workspacePath: session.workspacePath });
    const field = { id: pr.id, ...(pr.url ? { url: pr.url } : {}), state: pr.state };
    return transition(session, ledger, pr.state === 'merged' ? 'merged' : 'pr_open', `PR #${pr.id} opened`, field);
  }

  async function merge(session: Session, payload: Record<string, unknown>, ledger?: Ledger): Promise<string> {
    const project = projectOf(session);
    const scm: Scm = await plugins.plugin(project, 'scm');
    const pr = toPullRequest(session);
    if (payload.prId !== undefined && String(payload.prId) !== pr.id) {
      throw new AoError('PR_STATE', `Session ${session.id} now has PR #${pr.id}, not #${String(payload.prId)}; not merging.`);
    }
    const method = payload.method as 'merge' | 'squash' | 'rebase' | undefined;
    // A merge asked for one head never merges another: commits pushed since the human consented
    // (an approval decided later, a review of an older head) are theirs to see first.
    if (typeof payload.headSha === 'string') {
      const now = (await scm.pollPullRequests([pr])).get(pr.id)?.pr.headSha;
      if (now !== undefined && now !== payload.headSha) {
        return `failed: PR #${pr.id} has new commits since the merge was asked for (${payload.headSha.slice(0, 8)} → ${now.slice(0, 8)}); not merged. ao asks again for the new head, or merge it with \`ao pr merge ${session.id}\`.`;
      }
    }
    await scm.merge(pr, method ? { method } : undefined);
    await transition(session, ledger, 'merged', `PR #${pr.id} merged by ao`, { ...session.pr!, state: 'merged' });
    // A merge question still pending (about an older head, or made moot by `ao pr merge`) is withdrawn.
    await supersede(session, 'approved-and-green', 'merged', `PR #${pr.id} was merged`);
    return `merged PR #${pr.id}`;
  }

  /**
   * The `merged` reaction's work: close the issue, then the session's cleanup as `ao session
   * cleanup` does it (the agent stopped and the workspace removed only when that loses nothing;
   * else both kept and a human told why), `done`.
   */
  async function cleanup(session: Session, payload: Record<string, unknown>, ledger?: Ledger): Promise<string> {
    const project = projectOf(session);
    const notes: string[] = [];
    if (payload.closeIssue !== false && session.issue) {
      const tracker: Tracker = await plugins.plugin(project, 'tracker');
      await tracker.close(session.issue);
      notes.push(`closed issue ${session.issue}`);
    }
    if (payload.removeWorkspace !== false) {
      // The same cleanup as `ao session cleanup` (sessions/cleanup.ts): what would lose work is kept.
      let outcome: SessionCleanupOutcome;
      try {
        outcome = await manager.cleanupSession(session.id);
      } catch (error) {
        if (!isAoError(error) || error.code !== 'WORKSPACE_DIRTY') throw error;
        outcome = { removed: false, id: session.id, workspacePath: session.workspacePath, reason: error.message };
      }
      if (outcome.removed) {
        notes.push(outcome.existed ? 'workspace removed' : 'workspace already gone');
        if (outcome.note) notes.push(outcome.note);
      } else {
        notes.push(`workspace kept: ${outcome.reason}`);
        await notify(project, {
          event: 'workspace-kept',
          level: 'warn',
          sessionId: session.id,
          title: `${session.id}: workspace kept after merge`,
          body: `Kept: ${outcome.reason}.`,
        });
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

  /**
   * Withdraws the session's pending approvals of `reaction` (all but `keep`): what they asked about
   * changed, or a human did it by hand. Returns the ids withdrawn.
   */
  async function supersede(session: Session, reaction: string, by: string, why: string, keep?: string): Promise<string[]> {
    const { approvals: pending } = await approvals.list({ status: 'pending', project: session.project, sessionId: session.id });
    const withdrawn: string[] = [];
    for (const old of pending.filter((a) => a.reaction === reaction && a.id !== keep)) {
      const done = await approvals.supersede(old.id, by, why);
      if (!done) continue;
      withdrawn.push(old.id);
      deps.emit({ type: 'approval', project: session.project, sessionId: session.id, approvalId: old.id, action: old.action.type, status: 'expired' });
    }
    return withdrawn;
  }

  /**
   * Queues `action` for a human and tells them; idempotent per `key`. Keys carry what the approval
   * is about (a PR head, a review, a CI result), so a new one replaces the session's older pending
   * approval of the same reaction: one question, about the current state.
   */
  async function requestApproval(session: Session, reaction: string, key: string, action: ApprovalAction, reason: string): Promise<string> {
    const project = projectOf(session);
    const { approval, created } = await approvals.create({ key, project: project.name, sessionId: session.id, action, reason, reaction });
    if (approval.status === 'pending') {
      if (created) {
        await supersede(session, reaction, approval.id, `replaced by ${approval.id}: ${reason}`, approval.id);
        deps.emit({ type: 'approval', project: project.name, sessionId: session.id, approvalId: approval.id, action: action.type, status: 'pending' });
      }
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

  /**
   * `ao pr merge`: a human merges the session's PR now, whatever the autonomy level. Refuses failing
   * CI or conflicts unless `force`. Recorded in the session's log as a `pr-merge` reaction (one per
   * call); the session's pending merge approvals are withdrawn. The `merged` reaction cleans up on
   * the next poll.
   */
  async function mergeByHand(session: Session, options: { force?: boolean; method?: 'merge' | 'squash' | 'rebase'; by?: string } = {}): Promise<{ session: Session; outcome: string }> {
    const project = projectOf(session);
    const pr = toPullRequest(session);
    if (session.pr?.state === 'merged') throw new AoError('PR_STATE', `PR #${pr.id} of ${session.id} is already merged.`, { details: { pr: pr.id } });
    const scm: Scm = await plugins.plugin(project, 'scm');
    const status = (await scm.pollPullRequests([pr])).get(pr.id);
    if (!status) throw new AoError('PR_NOT_FOUND', `The ${project.scm.plugin} SCM did not report PR #${pr.id} of ${session.id}; check that it still exists (\`ao status\`).`, { details: { pr: pr.id } });
    const ledger = createLedger(await store.events(session.project, session.id));
    if (status.pr.state === 'merged') {
      const next = await transition(session, ledger, 'merged', `PR #${pr.id} was merged outside ao`, { ...session.pr!, state: 'merged' });
      return { session: next, outcome: `PR #${pr.id} was already merged` };
    }
    if (status.pr.state === 'closed') throw new AoError('PR_STATE', `PR #${pr.id} of ${session.id} is closed; nothing to merge. Open a new one with \`ao pr open ${session.id}\`.`, { details: { pr: pr.id } });
    const problems: string[] = [];
    if (status.ci.state === 'failing') problems.push(`CI is failing${status.ci.failing.length ? ` (${status.ci.failing.join(', ')})` : ''}`);
    if (status.mergeability.conflicts) problems.push(`it conflicts with ${session.baseBranch}`);
    if (problems.length > 0 && !options.force) {
      throw new AoError(
        'PR_STATE',
        `Not merging PR #${pr.id} of ${session.id}: ${problems.join(' and ')}. The lifecycle sends the agent the failure to fix; to merge anyway: \`ao pr merge ${session.id} --force\`.`,
        { details: { pr: pr.id, ci: status.ci.state, conflicts: status.mergeability.conflicts } },
      );
    }
    let thrown: unknown;
    const head = status.pr.headSha;
    const result = await runner.run(session, ledger, {
      reaction: 'pr-merge',
      key: `pr-merge:${session.id}:${new Date(deps.clock.now()).toISOString()}`,
      atMostOnce: false,
      detail: { action: 'merge', by: options.by ?? 'cli', ...(head ? { headSha: head } : {}), ...(problems.length ? { forced: problems } : {}) },
      effect: async () => {
        try {
          return await merge(session, { prId: pr.id, ...(head ? { headSha: head } : {}), ...(options.method ? { method: options.method } : {}) }, ledger);
        } catch (error) {
          thrown = error;
          throw error;
        }
      },
    });
    if (result?.error) throw thrown ?? new AoError('SCM_FAILED', `Merging PR #${pr.id} of ${session.id} failed: ${result.error}`);
    const outcome = result?.outcome ?? 'merged';
    if (outcome.startsWith('failed')) throw new AoError('PR_STATE', outcome.replace(/^failed: /, ''), { details: { pr: pr.id } });
    return { session: await store.get(session.project, session.id), outcome };
  }

  return { notify, transition, openPullRequest, execute, requestApproval, executeApproval, mergeByHand, projectOf, toPullRequest };
}

export type ActionExecutor = ReturnType<typeof createActionExecutor>;
