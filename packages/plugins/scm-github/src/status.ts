/** Mapping GitHub's PR data to the `Scm` contract's status types: pure, so every rule is unit-tested. */
import { ciFailureReport, type CiStatus, type Mergeability, type PullRequest, type ReviewState } from '@ao/core/plugin';
import type { PrCheck, PrStatusData } from '@ao/github';

/** Conclusions GitHub's own rollup counts as a failure. */
const FAILING_CONCLUSIONS = new Set(['failure', 'timed_out', 'cancelled', 'action_required', 'startup_failure', 'error']);

export function isFailing(check: PrCheck): boolean {
  if (check.kind === 'status') return check.conclusion === 'failure' || check.conclusion === 'error';
  return check.status === 'completed' && check.conclusion !== null && FAILING_CONCLUSIONS.has(check.conclusion);
}

export function pullRequestOf(data: PrStatusData): PullRequest {
  return {
    id: String(data.number),
    ...(data.url ? { url: data.url } : {}),
    title: data.title,
    branch: data.headRefName,
    baseBranch: data.baseRefName,
    state: data.state,
    ...(data.headSha ? { headSha: data.headSha } : {}),
  };
}

/** CI without the log tail (that costs a request, so the caller adds it only when needed). */
export function ciOf(data: PrStatusData): CiStatus {
  const failing = [...new Set(data.checks.filter(isFailing).map((c) => c.name))];
  const sha = data.headSha ? { sha: data.headSha } : {};
  if (!data.checks.length && data.checkRollup === null) return { state: 'none', failing: [], ...sha };
  if (failing.length || data.checkRollup === 'failure' || data.checkRollup === 'error') return { state: 'failing', failing, ...sha };
  const running = data.checks.some((c) => (c.kind === 'status' ? c.conclusion === 'pending' : c.status !== 'completed'));
  if (running || data.checkRollup === 'pending' || data.checkRollup === 'expected') return { state: 'pending', failing: [], ...sha };
  return { state: 'passing', failing: [], ...sha };
}

export function reviewOf(data: PrStatusData): ReviewState {
  const decision =
    data.reviewDecision === 'approved'
      ? 'approved'
      : data.reviewDecision === 'changes_requested'
        ? 'changes_requested'
        : data.reviewDecision === 'review_required'
          ? 'pending'
          : 'none';
  return { decision, comments: data.unresolvedComments.map((c) => ({ ...c })) };
}

export function mergeabilityOf(data: PrStatusData): Mergeability {
  if (data.state !== 'open') return { mergeable: false, conflicts: false };
  if (data.mergeable === 'conflicting') return { mergeable: false, conflicts: true };
  if (data.mergeable === 'unknown') return { mergeable: 'unknown', conflicts: false };
  // A draft can't be merged until it is marked ready, whatever GitHub computed for its diff.
  return { mergeable: !data.draft, conflicts: false };
}

/**
 * What the agent is told about a failing job's log: the failing tests found in it first, then its
 * last lines, within `maxChars` (core's `ciFailureReport`), read without GitHub's per-line
 * timestamps and group markers.
 */
export function jobLogReport(log: string, options: { tailLines: number; maxChars: number }): string {
  const lines = log
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => line.replace(/^\uFEFF?\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z ?/, '').replace(/^##\[(?:group|endgroup)\]/, ''));
  return ciFailureReport(lines.join('\n'), options);
}
