import type { PullRequestStatus } from '../contracts/scm.js';
import type { Approval, ApprovalAction } from '../approvals/schema.js';
import type { ResolvedProject } from '../config/resolve.js';
import type { Session } from '../sessions/schema.js';
import { attentionOf } from '../attention.js';
import { byHand, describeAction, needsApproval, type ActionExecutor } from './actions.js';
import type { ReactionsConfig } from './config.js';
import type { Ledger } from './ledger.js';
import { changeId, changesRequestedMessage, ciFailedMessage, commentsId, mergeConflictMessage, stuckMessage } from './messages.js';
import type { ReactionRun } from './runner.js';

export interface PlanInput {
  session: Session;
  project: ResolvedProject;
  reactions: ReactionsConfig;
  /** This poll's status of the session's open PR. */
  pr?: PullRequestStatus;
  ledger: Ledger;
  exec: ActionExecutor;
  now: number;
  /** When the session entered its current status (episode id for needs-input and stuck). */
  enteredAt: string;
  stuckAfterMs: number;
  /** This session's approvals (any status), to tell a human about expired and rejected ones once. */
  approvals?: readonly Approval[];
}

/**
 * The reactions due for one session this poll, in the order they run. Each carries its
 * idempotency key; the runner skips keys the ledger already has done, so planning the same
 * reaction on every poll is expected and harmless.
 */
export function planReactions(input: PlanInput): ReactionRun[] {
  const { session, project, reactions: R, pr, ledger, exec, now } = input;
  const id = session.id;
  const runs: ReactionRun[] = [];
  const level = project.autonomy;
  const url = session.pr?.url;

  /** A reaction that performs `action`, or asks for it when the autonomy level says so. */
  const act = (reaction: string, key: string, action: ApprovalAction, reason: string, escalated = false, consented = false): ReactionRun => {
    const ask = needsApproval(level, action.type, escalated, consented);
    const send = action.type === 'send' && !ask;
    return {
      reaction,
      key,
      atMostOnce: send,
      ...(send ? { message: String(action.payload.message ?? '') } : {}),
      detail: { action: action.type, ...(ask ? { approval: true } : {}) },
      effect: ({ deliveryId }) => (ask ? exec.requestApproval(session, reaction, key, action, reason) : exec.execute(session, action, ledger, deliveryId)),
    };
  };
  const notify = (reaction: string, key: string, level: 'info' | 'warn' | 'action' | 'error', title: string, body: string): ReactionRun => ({
    reaction,
    key,
    atMostOnce: false,
    detail: { action: 'notify' },
    effect: async () => `notified ${await exec.notify(project, { event: reaction, level, sessionId: id, title, body, ...(url ? { url } : {}) })} notifier(s)`,
  });
  /** Notify once when the reaction to `key` is done but the condition still holds `afterMs` later. */
  const late = (reaction: string, key: string, afterMs: number | undefined, title: string, body: string): void => {
    const done = ledger.get(key)?.done;
    if (afterMs === undefined || !done || now - Date.parse(done.ts) < afterMs) return;
    runs.push(notify(reaction, `${key}:late`, 'action', title, body));
  };
  /**
   * Feedback the agent gets up to `retries` times per PR; after that each new occurrence
   * escalates: a notification, and in copilot/manual an approval to send it anyway.
   */
  const feedback = (reaction: 'ci-failed' | 'changes-requested' | 'merge-conflict', discriminator: string, message: (attempt: number, retries: number) => string, what: string): void => {
    const cfg = R[reaction];
    const key = `${reaction}:${id}:${discriminator}`;
    const prefix = `${reaction}:${id}:`;
    const earlier = ledger.ofReaction(reaction, prefix).filter((e) => e.key !== key && !/:(escalated|late)$/.test(e.key) && e.done?.outcome.startsWith('sent')).length;
    const existing = ledger.get(key);
    if (existing || earlier < cfg.retries) {
      runs.push(act(reaction, key, { type: 'send', payload: { message: message(earlier + 1, cfg.retries) } }, `${what} (attempt ${earlier + 1} of ${cfg.retries})`));
      late(reaction, key, cfg.escalateAfterMs, `${id}: ${what}, still unresolved`, `ao told the agent ${Math.round((cfg.escalateAfterMs ?? 0) / 60_000)} min ago and nothing changed. Look at it with \`ao session attach ${id}\`.`);
      return;
    }
    const reason = `${what}; the agent already got ${earlier} attempt(s) (reactions.${reaction}.retries: ${cfg.retries})`;
    if (level === 'autopilot') {
      runs.push(notify(reaction, `${key}:escalated`, 'action', `${id}: ${what}, retries used up`, `${reason}. ao stops sending; take a look with \`ao session attach ${id}\`.`));
    } else {
      runs.push(act(reaction, `${key}:escalated`, { type: 'send', payload: { message: message(earlier + 1, cfg.retries) } }, reason, true));
    }
  };

  if (R['agent-exited'].enabled && session.activity === 'exited' && session.runtime && session.status !== 'merged') {
    runs.push(
      notify('agent-exited', `agent-exited:${id}:${session.startedAt ?? session.createdAt}`, 'warn', `${id}: the agent exited`, `The agent of ${id} (${session.status}) is no longer running. Restore it with \`ao session restore ${id}\`.`),
    );
  }
  if (R['needs-input'].enabled && session.status === 'needs_input') {
    runs.push(notify('needs-input', `needs-input:${id}:${input.enteredAt}`, 'action', `${id} needs input`, `${session.activityDetail ?? 'The agent is waiting for an answer.'}\nAnswer with \`ao send ${id} …\` or \`ao session attach ${id}\`.`));
  }
  if (R.stuck.enabled && session.status === 'stuck') {
    const key = `stuck:${id}:${input.enteredAt}`;
    runs.push(act('stuck', key, { type: 'send', payload: { message: stuckMessage(Math.round(input.stuckAfterMs / 60_000), R.stuck.message) } }, 'the agent shows no progress'));
    late('stuck', key, R.stuck.escalateAfterMs, `${id} is stuck`, `No progress since ao nudged it. Look with \`ao session attach ${id}\`.`);
  }
  // What needs a human and no reaction above tells them about: a PR waiting for their review, a
  // session ao cannot go on with, an agent that cannot go on by itself. Once per occurrence.
  const attention = attentionOf(session);
  if (attention && (attention.reason === 'review' || attention.reason === 'errored' || attention.reason === 'blocked')) {
    const occurrence = attention.reason === 'review' ? `${session.pr?.id ?? ''}:${pr?.pr.headSha ?? input.enteredAt}` : input.enteredAt;
    const title = { review: `${id}: PR #${session.pr?.id ?? ''} waits for your review`, errored: `${id}: ao cannot go on`, blocked: `${id}: the agent cannot go on by itself` }[attention.reason];
    runs.push(notify('needs-attention', `attention:${id}:${attention.reason}:${occurrence}`, 'action', title, attention.text));
  }
  if (pr && pr.pr.state === 'open') {
    const head = pr.pr.headSha ?? pr.ci.sha ?? 'head';
    if (R['ci-failed'].enabled && pr.ci.state === 'failing') {
      feedback('ci-failed', pr.ci.sha ?? head, (n, of) => ciFailedMessage(session, pr, n, of), `CI failed on PR #${pr.pr.id}`);
    }
    if (R['changes-requested'].enabled && pr.review.decision === 'changes_requested') {
      feedback('changes-requested', commentsId(pr.review.comments), (n, of) => changesRequestedMessage(pr, n, of), `changes requested on PR #${pr.pr.id}`);
    }
    if (R['merge-conflict'].enabled && pr.mergeability.conflicts) {
      feedback('merge-conflict', head, () => mergeConflictMessage(session, pr), `PR #${pr.pr.id} conflicts with ${session.baseBranch}`);
    }
    const green = pr.ci.state === 'passing' || pr.ci.state === 'none';
    if (R['approved-and-green'].enabled && pr.review.decision === 'approved' && green && pr.mergeability.mergeable === true) {
      const method = R['approved-and-green'].method;
      // The approving review is the human's consent to merge (copilot) when it saw this head.
      const seen = pr.review.latest?.sha;
      const stale = seen !== undefined && pr.pr.headSha !== undefined && seen !== pr.pr.headSha;
      const ci = pr.ci.state === 'none' ? 'not configured' : 'green';
      const reason = stale
        ? `PR #${pr.pr.id} was approved at ${seen.slice(0, 8)} and has new commits since (now ${head.slice(0, 8)}); CI is ${ci} and it merges cleanly`
        : `PR #${pr.pr.id} is approved, CI is ${ci} and it merges cleanly`;
      // One key per state asked about: a new head, a new review or a new CI result asks again
      // after an approval expired or was rejected.
      const key = `approved-and-green:${id}:${head}:${changeId([pr.review.latest?.at ?? '', pr.ci.state, pr.ci.sha ?? ''])}`;
      const payload = { prId: pr.pr.id, ...(pr.pr.headSha ? { headSha: pr.pr.headSha } : {}), ...(method ? { method } : {}) };
      runs.push(act('approved-and-green', key, { type: 'merge', payload }, reason, false, !stale));
    }
  }
  for (const a of input.approvals ?? []) {
    // Withdrawn ones (`supersededBy`) were replaced by a newer question, or done by hand: no news.
    if (a.supersededBy || (a.status !== 'expired' && a.status !== 'rejected')) continue;
    // Once the PR is merged, an unanswered merge or open-pr question is moot.
    if (session.pr?.state === 'merged' && (a.action.type === 'merge' || a.action.type === 'open-pr')) continue;
    const what = describeAction(a.action);
    const next = `ao asks again on the next change (a new commit, a new review, a new CI result). To do it now: \`${byHand(a.action, id)}\`.`;
    if (a.status === 'expired') {
      runs.push(notify('approval-expired', `approval-expired:${id}:${a.id}`, 'action', `${id}: approval ${a.id} expired (${what})`, `Nobody decided approval ${a.id} (${what}) by ${a.expiresAt}; nothing was done.\n${next}`));
    } else {
      const why = a.message ? `: "${a.message}"` : '';
      runs.push(notify('approval-rejected', `approval-rejected:${id}:${a.id}`, 'info', `${id}: approval ${a.id} rejected (${what})`, `${a.decidedBy ?? 'A human'} rejected approval ${a.id} (${what})${why}; nothing was done.\n${next}`));
    }
  }
  return runs;
}

/**
 * Sends whose runner died before they were recorded done, rebuilt from the ledger (it keeps each
 * send's message): the runner settles every one — found delivered, sent again, or a human told —
 * even when the reaction that started it is no longer due. Run before `planReactions`.
 */
export function interruptedSends(input: Pick<PlanInput, 'session' | 'ledger' | 'exec'>): ReactionRun[] {
  const { session, ledger, exec } = input;
  const runs: ReactionRun[] = [];
  for (const entry of ledger.entries.values()) {
    const last = entry.attempts.at(-1);
    if (entry.done || entry.message === undefined || !last || last.failed !== undefined) continue;
    const message = entry.message;
    runs.push({
      reaction: entry.reaction,
      key: entry.key,
      atMostOnce: true,
      message,
      detail: { action: 'send', recovering: true },
      effect: ({ deliveryId }) => exec.execute(session, { type: 'send', payload: { message } }, ledger, deliveryId),
    });
  }
  return runs;
}

/** The `merged` reaction (run after the others, so a merge made this poll is cleaned up at once). */
export function mergedReaction(input: Pick<PlanInput, 'session' | 'project' | 'reactions' | 'ledger' | 'exec'>): ReactionRun | undefined {
  const { session, reactions: R, project, exec, ledger } = input;
  if (!R.merged.enabled || session.status !== 'merged') return undefined;
  const action: ApprovalAction = { type: 'cleanup', payload: { closeIssue: R.merged.closeIssue, removeWorkspace: R.merged.cleanup } };
  const ask = needsApproval(project.autonomy, 'cleanup', false);
  const key = `merged:${session.id}:${session.pr?.id ?? 'pr'}`;
  return {
    reaction: 'merged',
    key,
    atMostOnce: false,
    detail: { action: 'cleanup', ...(ask ? { approval: true } : {}) },
    effect: () =>
      ask
        ? exec.requestApproval(session, 'merged', key, action, `PR #${session.pr?.id ?? '?'} was merged: close ${session.issue ? `issue ${session.issue}` : 'the session'} and remove its workspace`)
        : exec.execute(session, action, ledger),
  };
}
