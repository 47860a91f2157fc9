/**
 * Review state of a local pull request, derived from its review log (pure).
 *
 * The decision is the latest `approved` or `changes_requested` review; `commented` reviews never
 * change it. With no such review an open PR is `pending` (waiting for a reviewer) and a closed or
 * merged one `none`. A commit pushed after an approval does NOT reset it — like GitHub's default
 * (no "dismiss stale approvals"); CI still runs on the new head, so an unreviewed broken commit is
 * caught there, and a reviewer who wants another look requests changes.
 *
 * `comments` are the feedback the agent still has to address: the non-empty bodies and line
 * comments of `changes_requested` and `commented` reviews made after the last approval, oldest first.
 * `latest` is the newest deciding review: when, and the head it looked at.
 */
import type { ReviewComment, ReviewState } from '@ao/core/plugin';
import type { LocalPullRequest } from './records.js';

export function reviewStateOf(record: LocalPullRequest): ReviewState {
  let decision: ReviewState['decision'] = record.state === 'open' ? 'pending' : 'none';
  let lastApproval = -1;
  let latest: ReviewState['latest'];
  record.reviews.forEach((review, index) => {
    if (review.decision === 'approved') {
      decision = 'approved';
      lastApproval = index;
    } else if (review.decision === 'changes_requested') {
      decision = 'changes_requested';
    }
    if (review.decision !== 'commented') latest = { at: review.ts, ...(review.sha ? { sha: review.sha } : {}) };
  });
  const comments: ReviewComment[] = record.reviews
    .slice(lastApproval + 1)
    .filter((review) => review.decision !== 'approved')
    .flatMap((review) => [
      ...(review.body.trim() !== '' ? [{ author: review.author, body: review.body }] : []),
      ...(review.comments ?? [])
        .filter((c) => c.body.trim() !== '')
        .map((c) => ({ author: review.author, body: c.body, path: c.path, line: c.line })),
    ]);
  return { decision, comments, ...(latest ? { latest } : {}) };
}
