import { createHash } from 'node:crypto';
import type { PullRequestStatus, ReviewComment } from '../contracts/scm.js';
import type { Session } from '../sessions/schema.js';

/** What ao sends to agents. One submission each (multi-line, delivered as a bracketed paste). */

export function ciFailedMessage(session: Session, s: PullRequestStatus, attempt: number, retries: number): string {
  const checks = s.ci.failing.length ? s.ci.failing.join(', ') : 'ci';
  const lines = [
    `CI failed on your pull request #${s.pr.id} (branch ${session.branch}${s.ci.sha ? `, commit ${s.ci.sha.slice(0, 8)}` : ''}). Attempt ${attempt} of ${retries}.`,
    `Failing checks: ${checks}`,
  ];
  // The SCM's report of the log (core's `ciFailureReport`): the failing tests first, then its end.
  if (s.ci.logTail?.trim()) lines.push('', 'From the CI log:', '```', s.ci.logTail.trimEnd(), '```');
  lines.push('', 'Please fix the failures and commit the fix on this branch.');
  return lines.join('\n');
}

export function changesRequestedMessage(s: PullRequestStatus, attempt: number, retries: number): string {
  const lines = [`A reviewer requested changes on your pull request #${s.pr.id}. Round ${attempt} of ${retries}.`];
  if (s.review.comments.length === 0) lines.push('(The review has no comments; ask for details if it is unclear.)');
  for (const c of s.review.comments) lines.push('', `${c.author}${c.path ? ` on ${c.path}${c.line ? `:${c.line}` : ''}` : ''}:`, c.body.trim());
  lines.push('', 'Please address the comments and commit on this branch.');
  return lines.join('\n');
}

export function mergeConflictMessage(session: Session, s: PullRequestStatus): string {
  return [
    `Your pull request #${s.pr.id} (branch ${session.branch}) no longer merges cleanly into ${session.baseBranch}.`,
    `Please rebase onto ${session.baseBranch} (\`git rebase ${session.baseBranch}\`), resolve the conflicts, make sure the tests pass, and commit.`,
  ].join('\n');
}

export function stuckMessage(minutes: number, custom?: string): string {
  return (
    custom ??
    `Are you stuck? Nothing has changed for about ${minutes} minute(s). If you are waiting for something, say what; otherwise carry on with the task, or commit what you have.`
  );
}

/** A short stable id of review comments: new comments make a new `changes-requested` reaction. */
export function commentsId(comments: readonly ReviewComment[]): string {
  return createHash('sha256').update(JSON.stringify(comments.map((c) => [c.author, c.body, c.path ?? '', c.line ?? 0]))).digest('hex').slice(0, 12);
}

/** A short stable id of what a reaction is about (a review's time, a CI state and sha…): a change makes a new key. */
export function changeId(parts: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 12);
}

export function idsHash(ids: readonly string[]): string {
  return createHash('sha256').update([...ids].sort().join(',')).digest('hex').slice(0, 12);
}
