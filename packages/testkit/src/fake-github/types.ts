/**
 * Public types of the fake GitHub server: its options, the request log and the live state objects
 * tests assert on. The JSON the server sends is built from these in `shapes.ts`.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface FakeGitHubOptions {
  /** The only token the server accepts (`Authorization: token X` or `Bearer X`). Default `test-token`. */
  token?: string;
  /** Sent back in `x-oauth-scopes` on every response. Default `['repo']`. */
  scopes?: string[];
  /** The primary REST rate limit (requests per hour). Default 5000. */
  rateLimit?: number;
  /** The GraphQL budget (points per hour). Default: `rateLimit`, else 5000. */
  graphqlPoints?: number;
  /**
   * Lay the API out like GitHub Enterprise Server: REST under `/api/v3`, GraphQL at `/api/graphql`,
   * and 404 at `/graphql` and `/api/v3/graphql`. `url` then ends in `/api/v3`.
   */
  enterprise?: boolean;
  /** The login `GET /user` answers with, also the author of everything created through the API. Default `ao-test-user`. */
  login?: string;
}

/** One request as the server saw it, with the status it answered. */
export interface FakeGitHubRequest {
  method: string;
  /** Path without the query string, e.g. `/repos/o/r/issues`. */
  path: string;
  /** Query parameters (last value wins for repeated keys). */
  query: Record<string, string>;
  /** Lower-cased header names, as Node delivers them. */
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON, the raw text when it is not JSON, `undefined` when empty. */
  body: unknown;
  /** The status the server answered (304 for ETag hits, the scripted status for `failNext`). */
  status: number;
  /** For `POST /graphql`: how many `pullRequest(number:)` fields the query selects (counting nested lists). */
  graphqlAliases?: number;
  /** For `POST /graphql` that ran: the points it cost by GitHub's formula. */
  graphqlCost?: number;
  /** For `POST /graphql` that ran: the most nodes it could return (`rateLimit.nodeCount`). */
  graphqlNodes?: number;
}

export interface FakeComment {
  id: number;
  body: string;
  user: string;
  createdAt: string;
}

/** Fields an issue and a pull request share (a PR is an issue on GitHub: same number space). */
interface FakeItemBase {
  number: number;
  title: string;
  body: string | null;
  labels: string[];
  assignees: string[];
  /** Milestone title, or null. */
  milestone: string | null;
  /** Issue comments (`POST /issues/:n/comments`), in order. */
  comments: FakeComment[];
  author: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface FakeIssue extends FakeItemBase {
  isPullRequest: false;
  state: 'open' | 'closed';
  stateReason: 'completed' | 'not_planned' | 'reopened' | null;
}

export type MergeMethod = 'merge' | 'squash' | 'rebase';

export interface FakeReview {
  id: number;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
  body: string;
  user: string;
  submittedAt: string;
  /** The head sha when the review was added. */
  commitId: string;
}

export interface FakeReviewThread {
  path: string;
  line: number | null;
  resolved: boolean;
  comments: { id: number; body: string; user: string; createdAt: string }[];
}

export interface FakePullRequest extends FakeItemBase {
  isPullRequest: true;
  /** `merged` is a closed PR with `merged: true` in REST and `MERGED` in GraphQL. */
  state: 'open' | 'closed' | 'merged';
  merged: boolean;
  mergedAt: string | null;
  /** The `merge_method` of the merge request that merged it (null when merged by the test or not merged). */
  mergeMethod: MergeMethod | null;
  mergeCommitSha: string | null;
  head: string;
  base: string;
  headSha: string;
  /** GitHub's tri-state: null while GitHub is still computing it. */
  mergeable: boolean | null;
  draft: boolean;
  /** Overrides the derived `mergeable_state` (`clean`, `dirty`, `blocked`, `unstable`, `unknown`, `draft`, `behind`). */
  mergeableState?: string;
  /** Overrides the derived GraphQL `reviewDecision`. */
  reviewDecision?: 'APPROVED' | 'CHANGES_REQUESTED' | 'REVIEW_REQUIRED' | null;
  reviews: FakeReview[];
  threads: FakeReviewThread[];
}

export type FakeItem = FakeIssue | FakePullRequest;

export interface IssueInput {
  number?: number;
  title: string;
  body?: string;
  labels?: string[];
  assignees?: string[];
  state?: 'open' | 'closed';
  milestone?: string;
}

export interface PullRequestInput {
  number?: number;
  /** Head branch name (no `owner:` prefix). */
  head: string;
  /** Default: the repo's default branch. */
  base?: string;
  title?: string;
  body?: string;
  state?: 'open' | 'closed' | 'merged';
  /** Default: a sha derived from repo, branch and number. */
  headSha?: string;
  /** Default true. */
  mergeable?: boolean | null;
  draft?: boolean;
  labels?: string[];
  assignees?: string[];
}

export type PullRequestPatch = Partial<
  Pick<FakePullRequest, 'title' | 'body' | 'state' | 'head' | 'base' | 'headSha' | 'mergeable' | 'draft' | 'labels' | 'assignees' | 'mergeableState' | 'reviewDecision'>
>;

export type CheckRunStatus = 'queued' | 'in_progress' | 'completed';
export type CheckRunConclusion = 'success' | 'failure' | 'neutral' | 'cancelled' | 'timed_out' | 'action_required' | 'skipped' | null;

export interface CheckRunInput {
  /** Also the Actions job id its log is served under. Default: a server-unique id. */
  id?: number;
  name: string;
  status: CheckRunStatus;
  conclusion?: CheckRunConclusion;
  /** Served by `GET /repos/:o/:r/actions/jobs/:id/logs`. */
  log?: string;
  detailsUrl?: string;
  output?: { title?: string; summary?: string; text?: string };
}

export interface FakeCheckRun {
  id: number;
  name: string;
  status: CheckRunStatus;
  conclusion: CheckRunConclusion;
  log: string;
  detailsUrl: string;
  output: { title: string | null; summary: string | null; text: string | null };
  headSha: string;
  startedAt: string;
  completedAt: string | null;
}

export interface StatusInput {
  context: string;
  state: 'pending' | 'success' | 'failure' | 'error';
  description?: string;
  target_url?: string;
}

export interface FakeStatus {
  id: number;
  context: string;
  state: StatusInput['state'];
  description: string | null;
  targetUrl: string | null;
  createdAt: string;
}

export interface FakeRepo {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  defaultBranch: string;
  private: boolean;
  items: Map<number, FakeItem>;
  nextNumber: number;
  milestones: Map<string, number>;
  checkRuns: Map<string, FakeCheckRun[]>;
  statuses: Map<string, FakeStatus[]>;
}

export interface FailSpec {
  /** How many matching requests fail (default 1). */
  times?: number;
  status: number;
  /** Only requests whose path starts with this fail (e.g. `/graphql`, `/repos/o/r/pulls`). */
  pathPrefix?: string;
  /** Seconds, sent as `retry-after`. */
  retryAfter?: number;
  /** A 403 that is GitHub's secondary ("abuse") rate limit rather than a permission error. */
  secondary?: boolean;
  message?: string;
}

export type RateResource = 'core' | 'graphql';

export interface RateLimitPatch {
  /** Which budget to change; both when absent. */
  resource?: RateResource;
  remaining?: number;
  limit?: number;
  /** Epoch seconds. When it passes, remaining refills to the limit (as on GitHub). */
  resetAt?: number;
}
