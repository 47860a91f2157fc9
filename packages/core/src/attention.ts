/**
 * Attention: the one model of "does a human have to do something for this session, why, since
 * when". "Needs you" on the dashboard, the marker in `ao status`, `ao status --attention`,
 * `ao watch` and the lifecycle's notifications all derive from it, so they never disagree.
 *
 * Pure and free of Node imports: the dashboard's browser code runs the same function
 * (`@ao/core/attention`).
 */
import type { Session } from './sessions/schema.js';

export type AttentionReason =
  | 'input' // the agent asks a question or shows a menu
  | 'approval' // an action waits in the approval queue
  | 'errored' // ao could not go on (e.g. the workspace is gone)
  | 'crashed' // the agent exited before its work was done
  | 'review' // a pull request waits for a human's review
  | 'stuck' // no progress for a while
  | 'blocked'; // the agent cannot go on by itself (not logged in, out of credits)

export interface Attention {
  reason: AttentionReason;
  /** What the human should know and do, in words, e.g. "PR #3 waits for your review: ao review app-1 approve". */
  text: string;
  /** ISO time since which the session has needed the human (as well as ao knows). */
  since: string;
}

/** Most urgent first: the order "Needs you" sorts by. */
export const ATTENTION_ORDER: readonly AttentionReason[] = ['input', 'approval', 'errored', 'crashed', 'blocked', 'stuck', 'review'];

const FINISHED: ReadonlySet<string> = new Set(['merged', 'done', 'killed']);
const NEEDS_AGENT: ReadonlySet<string> = new Set(['spawning', 'working', 'stuck', 'ci_failed', 'changes_requested']);

export interface AttentionContext {
  /** Whether an approval for this session is pending in the queue. */
  pendingApproval?: boolean;
}

/**
 * Whether `session` needs a human now, and why; `null` when ao (or the agent) is on it.
 * Finished sessions and queued ones never need anyone.
 */
export function attentionOf(session: Session, context: AttentionContext = {}): Attention | null {
  if (FINISHED.has(session.status) || session.status === 'queued') return null;
  const id = session.id;
  const since = session.lastEvent?.ts ?? session.updatedAt;
  const detail = session.activityDetail ? `: ${session.activityDetail}` : '';
  if (session.status === 'needs_input' || session.activity === 'waiting_input') {
    return { reason: 'input', text: `waiting for your answer${detail} (ao send ${id} <answer>, or ao session attach ${id})`, since };
  }
  if (context.pendingApproval) {
    return { reason: 'approval', text: `an action waits for your approval (ao approvals ls)`, since };
  }
  if (session.status === 'errored') {
    return { reason: 'errored', text: `ao cannot go on${detail}`, since };
  }
  // An agent that exits once its PR is up has done its part; before that, or while feedback waits
  // for it, nothing moves until a human restores it.
  if (session.activity === 'exited' && session.runtime && NEEDS_AGENT.has(session.status)) {
    return { reason: 'crashed', text: `${session.activityDetail ?? 'the agent exited'} (ao session restore ${id})`, since };
  }
  if (session.activity === 'blocked') {
    return { reason: 'blocked', text: `the agent cannot go on by itself${detail}`, since };
  }
  if (session.status === 'stuck') {
    return { reason: 'stuck', text: `no progress${detail} (ao session attach ${id})`, since };
  }
  // Approved and green but not merged, and no approval asks about it: the last one expired or was
  // rejected, or the merge failed. ao asks again on the next change; a human can merge now.
  if (session.status === 'mergeable' && session.pr?.state === 'open') {
    return { reason: 'approval', text: `PR #${session.pr.id} is approved and green but not merged (ao pr merge ${id}, or ao approvals ls)`, since };
  }
  if (session.status === 'review_pending' && session.pr?.state === 'open') {
    const where = session.pr.url ? ` (${session.pr.url})` : ` (ao review ${id} approve|request-changes, or the dashboard)`;
    return { reason: 'review', text: `PR #${session.pr.id} waits for your review${where}`, since };
  }
  return null;
}

/** Sorts sessions needing attention first (most urgent reason first, then longest waiting). */
export function compareAttention(a: Attention | null, b: Attention | null): number {
  const rank = (x: Attention | null): number => (x ? ATTENTION_ORDER.indexOf(x.reason) : ATTENTION_ORDER.length);
  return rank(a) - rank(b) || (a && b ? a.since.localeCompare(b.since) : 0);
}
