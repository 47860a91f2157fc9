/** SCM: pull requests, CI, reviews and merge for a session's branch. */

export interface PullRequest {
  /** The SCM's id (`12` on GitHub, a record id for scm-local). */
  id: string;
  url?: string;
  title: string;
  branch: string;
  baseBranch: string;
  state: 'open' | 'merged' | 'closed';
  /** Commit the PR currently points at. */
  headSha?: string;
}

export type CiState = 'none' | 'pending' | 'passing' | 'failing';

export interface CiStatus {
  state: CiState;
  /** Commit the result belongs to. */
  sha?: string;
  /** Names of failing checks. */
  failing: string[];
  /**
   * What the agent is told of the failing log: the failing tests found in it (name, assertion,
   * expected/actual, first stack frame in the repository), then its last lines, within a character
   * budget — built with `ciFailureReport` (`@ao/core`). The name is historical: it was a plain tail.
   */
  logTail?: string;
}

export type ReviewDecision = 'none' | 'pending' | 'approved' | 'changes_requested';

export interface ReviewComment {
  author: string;
  body: string;
  path?: string;
  line?: number;
}

export interface ReviewState {
  decision: ReviewDecision;
  /** Unresolved comments, oldest first. */
  comments: ReviewComment[];
  /**
   * Optional: the newest review that set `decision` (approved or changes requested) — when it was
   * given and the PR head it looked at. SCMs that know it should set it: the lifecycle asks a human
   * again after a new review (a merge approval that expired or was rejected), and in `copilot` an
   * approving review is the consent to merge only for the head it saw.
   */
  latest?: { at: string; sha?: string };
}

export interface Mergeability {
  mergeable: boolean | 'unknown';
  conflicts: boolean;
}

/** Everything the lifecycle needs about one PR, from one poll. */
export interface PullRequestStatus {
  pr: PullRequest;
  ci: CiStatus;
  review: ReviewState;
  mergeability: Mergeability;
}

export interface OpenPullRequestInput {
  project: string;
  branch: string;
  baseBranch: string;
  title: string;
  body?: string;
  /** The session's workspace; local SCMs read commits from here. */
  workspacePath: string;
}

/** A comment on one line of the PR's diff (the new side of the file). */
export interface LineComment {
  path: string;
  line: number;
  body: string;
}

/** A review given through ao (`ao review`, the dashboard). */
export interface ReviewInput {
  decision: 'approved' | 'changes_requested' | 'commented';
  /** The review's overall comment. */
  body?: string;
  /** Comments on lines of the diff; the agent gets each with its file and line. */
  comments?: LineComment[];
  /** Who reviewed; defaults to the local user. */
  author?: string;
}

export interface Scm {
  /** Called by the lifecycle for sessions with no known PR. Null when there is none. */
  findPullRequest(ref: { project: string; branch: string }): Promise<PullRequest | null>;

  /** Called by `ao pr open` and the lifecycle. Returns the existing PR if one is open. */
  openPullRequest(input: OpenPullRequestInput): Promise<PullRequest>;

  /**
   * Called once per lifecycle poll with every open PR of the project: state, CI, reviews and
   * mergeability in as few requests as the SCM allows (batched). Keys are `pr.id`.
   */
  pollPullRequests(prs: readonly PullRequest[]): Promise<Map<string, PullRequestStatus>>;

  /** Called by the `approved-and-green` reaction. Throws `SCM_CONFLICT`-style `AoError` on conflict. */
  merge(pr: PullRequest, options?: { method?: 'merge' | 'squash' | 'rebase' }): Promise<void>;

  /**
   * Optional: records a review given in ao (`ao review`, the dashboard's review panel). SCMs whose
   * reviews happen elsewhere (GitHub's own UI) leave it out; ao then points the user there.
   * Throws `PR_NOT_FOUND`, or `PR_STATE` when the PR is not open.
   */
  review?(prId: string, input: ReviewInput): Promise<{ pr: PullRequest; review: ReviewState }>;
}
