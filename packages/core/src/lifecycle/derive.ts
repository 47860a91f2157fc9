import type { PullRequestStatus } from '../contracts/scm.js';
import type { Session, SessionEvent, SessionStatus } from '../sessions/schema.js';

/** Statuses the lifecycle never changes: a human (or the merged reaction) put them there. */
export const FINAL_STATUSES: readonly SessionStatus[] = ['done', 'killed', 'errored'];

/** Statuses that only say "the agent should be working": needs-input and stuck may replace them. */
const WORKING_STATUSES: readonly SessionStatus[] = ['working', 'pr_open', 'ci_failed', 'review_pending', 'changes_requested', 'needs_input', 'stuck'];

export interface DeriveInput {
  session: Session;
  /** This poll's PR status, when the session has an open PR. */
  pr?: PullRequestStatus;
  /**
   * Why the session counts as stuck, or false: its activity stayed `active` without change for at
   * least `stuckAfterMs`, or it sat idle at its prompt that long with no commits to show for it.
   */
  stuck: boolean | string;
}

export interface Derived {
  status: SessionStatus;
  /** Why, for the `status.changed` event. */
  reason: string;
  pr: Session['pr'];
}

/**
 * The status a session should have now, from its PR, CI, review and agent activity (pure):
 * `spawning → working → pr_open → ci_failed | review_pending → changes_requested | approved →
 * mergeable → merged`; `needs_input` and `stuck` take over while the agent should be working.
 * `done`, `killed` and `errored` are kept as they are.
 */
export function deriveStatus({ session, pr, stuck }: DeriveInput): Derived {
  const current = session.status;
  if (FINAL_STATUSES.includes(current)) return { status: current, reason: 'final', pr: session.pr };
  // Queued work has no agent yet: only admission (queue/) moves it on.
  if (current === 'queued') return { status: current, reason: 'waiting in the queue', pr: session.pr };
  const prField = pr ? prFieldOf(pr, session.pr) : session.pr;
  let base: { status: SessionStatus; reason: string };
  if (pr) base = fromPr(pr);
  else if (session.pr?.state === 'merged') base = { status: 'merged', reason: 'PR merged' };
  else if (session.pr?.state === 'open') base = { status: keepPrStatus(current), reason: 'PR status unknown this poll' };
  else if (current === 'spawning' && !session.runtime) base = { status: 'spawning', reason: 'starting' };
  else base = { status: 'working', reason: session.pr?.state === 'closed' ? 'PR closed without merge' : 'agent started' };

  if (WORKING_STATUSES.includes(base.status) && base.status !== 'needs_input' && base.status !== 'stuck') {
    if (session.activity === 'waiting_input') return { status: 'needs_input', reason: session.activityDetail ?? 'the agent asks a question', pr: prField };
    // Not logged in, a bad key, a usage limit: the agent cannot go on until a person acts.
    if (session.activity === 'blocked') return { status: 'needs_input', reason: `blocked: ${session.activityDetail ?? 'the agent cannot go on by itself'}`, pr: prField };
    if (stuck) return { status: 'stuck', reason: typeof stuck === 'string' ? stuck : 'no activity change while active', pr: prField };
  }
  return { ...base, pr: prField };
}

/** Without this poll's PR status the PR-derived status stands; only agent-derived ones fall back. */
function keepPrStatus(current: SessionStatus): SessionStatus {
  return current === 'needs_input' || current === 'stuck' || current === 'working' || current === 'spawning' ? 'pr_open' : current;
}

function fromPr(s: PullRequestStatus): { status: SessionStatus; reason: string } {
  if (s.pr.state === 'merged') return { status: 'merged', reason: 'PR merged' };
  if (s.pr.state === 'closed') return { status: 'working', reason: 'PR closed without merge' };
  if (s.ci.state === 'failing') return { status: 'ci_failed', reason: `CI failing${s.ci.failing.length ? `: ${s.ci.failing.join(', ')}` : ''}` };
  if (s.review.decision === 'changes_requested') return { status: 'changes_requested', reason: 'review requested changes' };
  const green = s.ci.state === 'passing' || s.ci.state === 'none';
  if (s.review.decision === 'approved') {
    if (green && s.mergeability.mergeable === true) return { status: 'mergeable', reason: 'approved, CI green, mergeable' };
    return { status: 'approved', reason: s.ci.state === 'pending' ? 'approved, CI running' : s.mergeability.conflicts ? 'approved, but conflicts with the base' : 'approved' };
  }
  if (green) return { status: 'review_pending', reason: s.ci.state === 'passing' ? 'CI passing, waiting for review' : 'waiting for review' };
  return { status: 'pr_open', reason: 'CI running' };
}

export function prFieldOf(s: PullRequestStatus, previous: Session['pr']): NonNullable<Session['pr']> {
  const url = s.pr.url ?? previous?.url;
  return { id: s.pr.id, ...(url ? { url } : {}), state: s.pr.state, ci: s.ci.state, review: s.review.decision };
}

/** When the session's activity last changed (ms): the last event that set it, else its start. */
export function activitySince(session: Session, events: readonly SessionEvent[]): number {
  for (let i = events.length - 1; i >= 0; i--) {
    const set = events[i]?.set;
    if (set && 'activity' in set) return Date.parse(events[i]!.ts);
  }
  return Date.parse(session.startedAt ?? session.createdAt);
}

/** When the session last entered `status` (the ts of that `status.changed`), for episode keys. */
export function enteredStatusAt(events: readonly SessionEvent[], status: SessionStatus): string | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type === 'status.changed' && e.set?.status === status) return e.ts;
  }
  return undefined;
}

export function samePr(a: Session['pr'], b: Session['pr']): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
