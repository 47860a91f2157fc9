/**
 * The batched pull-request queries (across repositories; repositories aliased `r0`, `r1`, …, PRs
 * `pr<N>`): a cheap change signal for every PR, then the detail of the PRs that changed, then
 * further pages of any connection that had more. Parsing is pure, for unit tests.
 */
import { parseRepo } from './repo.js';

/** PRs per detail query: 50 PRs with 100 checks and 100 threads of 20 comments each stay far under GitHub's 500,000-node limit. */
export const PRS_PER_QUERY = 50;
/** PRs per signal query: 3 connection requests each, so 100 PRs cost 3 points. */
export const SIGNALS_PER_QUERY = 100;

export interface PrRef {
  /** `owner/name` */
  repo: string;
  number: number;
}

export interface PrCheck {
  kind: 'check-run' | 'status';
  name: string;
  /** Lower-cased GraphQL enums: `queued`, `in_progress`, `completed` (statuses: always `completed` unless pending). */
  status: string;
  /** `success`, `failure`, `timed_out`, `cancelled`, … for check runs; `success`, `failure`, `error`, `pending` for statuses. */
  conclusion: string | null;
  /** The Actions job id of a check run: its log is at `GET /repos/:o/:r/actions/jobs/:id/logs`. */
  jobId?: number;
  url?: string;
}

export interface PrThreadComment {
  author: string;
  body: string;
  path?: string;
  line?: number;
}

/** What one poll knows about a PR, normalised from GitHub's GraphQL shape. */
export interface PrStatusData {
  repo: string;
  number: number;
  state: 'open' | 'closed' | 'merged';
  draft: boolean;
  url: string;
  title: string;
  headRefName: string;
  headSha: string;
  baseRefName: string;
  mergeable: 'mergeable' | 'conflicting' | 'unknown';
  /** GitHub's decision; without branch protection it is null, and the latest reviews decide. */
  reviewDecision: 'approved' | 'changes_requested' | 'review_required' | null;
  /** The combined state of every check and status on the head commit, or null when there are none. */
  checkRollup: 'success' | 'failure' | 'pending' | 'error' | 'expected' | null;
  checks: PrCheck[];
  /** Comments of unresolved review threads, oldest thread first. */
  unresolvedComments: PrThreadComment[];
}

export const prKey = (ref: PrRef): string => `${ref.repo}#${ref.number}`;

/** Page sizes of the detail query. Review threads are sized from the signal's `totalCount`. */
export const PAGE = { contexts: 100, latestReviews: 20, threads: 100, comments: 20 } as const;

export const CONTEXT_FIELDS = `__typename
      ... on CheckRun { name status conclusion databaseId detailsUrl }
      ... on StatusContext { context state targetUrl }`;
export const COMMENT_FIELDS = 'author { login } body path line';
export const PAGE_INFO = 'pageInfo { hasNextPage endCursor }';

/** One review thread with its first comments (more are paged with `node(id:)`). */
export const THREAD_FIELDS = `id isResolved comments(first: ${PAGE.comments}) { ${PAGE_INFO} nodes { ${COMMENT_FIELDS} } }`;

/**
 * The cheap change signal of a PR: scalars that move on pushes, reviews and comments
 * (`updatedAt`), the review thread count, and the rollup's per-state check counts (which move
 * when any check changes, though the PR's `updatedAt` does not). 3 connection requests per PR:
 * 100 PRs cost 3 points.
 */
export const SIGNAL_FIELDS = `number state isDraft updatedAt headRefOid mergeable reviewDecision
      reviewThreads { totalCount }
      commits(last: 1) { nodes { commit { statusCheckRollup { state contexts { totalCount
        checkRunCountsByState { state count } statusContextCountsByState { state count } } } } } }`;

/**
 * Everything ao reads of a PR. `threads`: how many review threads to read (0 leaves them out;
 * the caller keeps the ones it has). Each connection reports `pageInfo`, so a PR with more
 * checks, reviews, threads or comments than one page is paged to the end (see `pr-pages.ts`).
 */
export function detailFields(threads: number): string {
  return `number state isDraft url title updatedAt headRefName headRefOid baseRefName mergeable reviewDecision
      latestReviews(first: ${PAGE.latestReviews}) { ${PAGE_INFO} nodes { state author { login } } }
      commits(last: 1) { nodes { commit { oid statusCheckRollup { state contexts(first: ${PAGE.contexts}) { ${PAGE_INFO} nodes {
      ${CONTEXT_FIELDS}
      } } } } } }${threads > 0 ? `\n      reviewThreads(first: ${Math.min(PAGE.threads, threads)}) { totalCount ${PAGE_INFO} nodes { ${THREAD_FIELDS} } }` : ''}`;
}

/** The rate limit, asked on every query: what it cost, what is left, when it refills. */
export const RATE_LIMIT_FIELDS = 'rateLimit { cost remaining limit resetAt }';

/**
 * One batch query over many PRs: `r<i>: repository(...) { pr<N>: pullRequest(number: N) { fields } }`.
 * `fields(ref)` gives each PR's selection; `repos[i]` is aliased `r<i>`.
 */
export function buildBatchQuery(refs: readonly PrRef[], fields: (ref: PrRef) => string, name = 'AoPullRequests'): { query: string; repos: string[] } {
  const byRepo = new Map<string, PrRef[]>();
  for (const ref of refs) {
    const list = byRepo.get(ref.repo) ?? [];
    if (!list.some((r) => r.number === ref.number)) list.push(ref);
    byRepo.set(ref.repo, list);
  }
  const repos = [...byRepo.keys()];
  const blocks = repos.map((repo, i) => {
    const { owner, name: repoName } = parseRepo(repo);
    const prs = byRepo
      .get(repo)!
      .map((ref) => `    pr${ref.number}: pullRequest(number: ${ref.number}) {\n      ${fields(ref)}\n    }`)
      .join('\n');
    return `  r${i}: repository(owner: ${JSON.stringify(owner)}, name: ${JSON.stringify(repoName)}) {\n${prs}\n  }`;
  });
  return { query: `query ${name} {\n  ${RATE_LIMIT_FIELDS}\n${blocks.join('\n')}\n}`, repos };
}

/** The full query for one batch (every PR with up to `threads` review threads). */
export function buildPullRequestsQuery(refs: readonly PrRef[], threads: number = PAGE.threads): { query: string; repos: string[] } {
  return buildBatchQuery(refs, () => detailFields(threads));
}

export type Json = Record<string, unknown>;
export const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
export const nodes = (v: unknown): Json[] => {
  const list = obj(v)?.nodes;
  return Array.isArray(list) ? list.filter((n): n is Json => Boolean(obj(n))) : [];
};
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const lower = (v: unknown): string | null => (typeof v === 'string' ? v.toLowerCase() : null);

export function parseCheck(node: Json): PrCheck | undefined {
  if (node.__typename === 'CheckRun') {
    const jobId = typeof node.databaseId === 'number' ? node.databaseId : undefined;
    const url = str(node.detailsUrl);
    return {
      kind: 'check-run',
      name: str(node.name) ?? 'check',
      status: lower(node.status) ?? 'completed',
      conclusion: lower(node.conclusion),
      ...(jobId !== undefined ? { jobId } : {}),
      ...(url ? { url } : {}),
    };
  }
  if (node.__typename === 'StatusContext') {
    const state = lower(node.state) ?? 'pending';
    const url = str(node.targetUrl);
    return {
      kind: 'status',
      name: str(node.context) ?? 'status',
      status: state === 'pending' || state === 'expected' ? 'pending' : 'completed',
      conclusion: state,
      ...(url ? { url } : {}),
    };
  }
  return undefined;
}

/** GitHub leaves `reviewDecision` null without branch protection: then each reviewer's latest review counts. */
function decisionFromLatestReviews(reviews: readonly Json[]): PrStatusData['reviewDecision'] {
  const states = reviews.map((r) => lower(r.state));
  if (states.includes('changes_requested')) return 'changes_requested';
  if (states.includes('approved')) return 'approved';
  return null;
}

/** A review thread as read so far: its comments may still be paged in. */
export interface ThreadPart {
  id: string | undefined;
  isResolved: boolean;
  comments: Json[];
  /** Set while more comments remain to be read. */
  commentsAfter?: string | undefined;
}

/**
 * A PR being read: the first page of each connection, plus the cursors of what is left. Pages
 * are appended by `pr-pages.ts`; `finishPr` turns it into `PrStatusData`.
 */
export interface PrPart {
  repo: string;
  pr: Json;
  contexts: Json[];
  contextsAfter?: string | undefined;
  reviews: Json[];
  reviewsAfter?: string | undefined;
  /** Undefined when this read left the threads out (the caller keeps the ones it had). */
  threads?: ThreadPart[];
  threadsAfter?: string | undefined;
}

/** The cursor to read the next page from, when the connection says there is one. */
export function nextCursor(connection: unknown): string | undefined {
  const info = obj(obj(connection)?.pageInfo);
  return info?.hasNextPage === true && typeof info.endCursor === 'string' ? info.endCursor : undefined;
}

export function threadPart(node: Json): ThreadPart {
  return { id: str(node.id), isResolved: node.isResolved === true, comments: nodes(node.comments), commentsAfter: nextCursor(node.comments) };
}

/** The first pages of one PR node of the detail query. */
export function startPr(repo: string, pr: Json): PrPart {
  const rollup = obj(obj(nodes(pr.commits)[0]?.commit)?.statusCheckRollup);
  return {
    repo,
    pr,
    contexts: nodes(rollup?.contexts),
    contextsAfter: nextCursor(rollup?.contexts),
    reviews: nodes(pr.latestReviews),
    reviewsAfter: nextCursor(pr.latestReviews),
    ...(pr.reviewThreads === undefined ? {} : { threads: nodes(pr.reviewThreads).map(threadPart), threadsAfter: nextCursor(pr.reviewThreads) }),
  };
}

export function unresolvedComments(threads: readonly ThreadPart[]): PrThreadComment[] {
  const out: PrThreadComment[] = [];
  for (const thread of threads) {
    if (thread.isResolved) continue;
    for (const c of thread.comments) {
      const path = str(c.path);
      const line = typeof c.line === 'number' ? c.line : undefined;
      out.push({ author: str(obj(c.author)?.login) ?? 'ghost', body: str(c.body) ?? '', ...(path ? { path } : {}), ...(line !== undefined ? { line } : {}) });
    }
  }
  return out;
}

/** The PR as ao sees it, once every page is in. Without threads, `keptComments` stand (or none). */
export function finishPr(part: PrPart, keptComments: PrThreadComment[] = []): PrStatusData {
  const { pr } = part;
  const commit = obj(nodes(pr.commits)[0]?.commit);
  const rollup = obj(commit?.statusCheckRollup);
  const state = lower(pr.state);
  const mergeable = lower(pr.mergeable);
  const decision = lower(pr.reviewDecision);
  return {
    repo: part.repo,
    number: Number(pr.number),
    state: state === 'merged' ? 'merged' : state === 'closed' ? 'closed' : 'open',
    draft: pr.isDraft === true,
    url: str(pr.url) ?? '',
    title: str(pr.title) ?? '',
    headRefName: str(pr.headRefName) ?? '',
    headSha: str(pr.headRefOid) ?? str(commit?.oid) ?? '',
    baseRefName: str(pr.baseRefName) ?? '',
    mergeable: mergeable === 'mergeable' ? 'mergeable' : mergeable === 'conflicting' ? 'conflicting' : 'unknown',
    reviewDecision:
      decision === 'approved' || decision === 'changes_requested' || decision === 'review_required' ? decision : decisionFromLatestReviews(part.reviews),
    checkRollup: (lower(rollup?.state) as PrStatusData['checkRollup']) ?? null,
    checks: part.contexts.map(parseCheck).filter((c): c is PrCheck => c !== undefined),
    unresolvedComments: part.threads ? unresolvedComments(part.threads) : keptComments,
  };
}

/** One PR node of GitHub's response, read as it stands (no further pages). */
export function parsePullRequestNode(repo: string, pr: Json): PrStatusData {
  return finishPr(startPr(repo, pr));
}

export interface GraphQlError {
  message: string;
  type?: string;
  path?: Array<string | number>;
}

/** Per ref: the data, `null` for a PR GitHub does not have, or an Error for a repository it does not show us. */
export type PrResult = PrStatusData | null | Error;

/** Per ref of a batch response: the PR node, `null` for a PR GitHub does not have, an Error for a repository it does not show us. */
export function prNodes(refs: readonly PrRef[], repos: readonly string[], data: Json | null | undefined, errors: readonly GraphQlError[] = []): Map<string, Json | null | Error> {
  const out = new Map<string, Json | null | Error>();
  for (const ref of refs) {
    const i = repos.indexOf(ref.repo);
    const repoNode = obj(data?.[`r${i}`]);
    if (!repoNode) {
      const error = errors.find((e) => e.path?.[0] === `r${i}` && e.path.length === 1);
      out.set(prKey(ref), new Error(error?.message ?? `Could not resolve to a Repository with the name '${ref.repo}'.`));
      continue;
    }
    out.set(prKey(ref), obj(repoNode[`pr${ref.number}`]) ?? null);
  }
  return out;
}

/** Splits one batch response back into per-PR results (first pages only). */
export function parsePullRequestsResponse(
  refs: readonly PrRef[],
  repos: readonly string[],
  data: Json | null | undefined,
  errors: readonly GraphQlError[] = [],
): Map<string, PrResult> {
  const out = new Map<string, PrResult>();
  for (const [key, node] of prNodes(refs, repos, data, errors)) {
    const ref = refs.find((r) => prKey(r) === key)!;
    out.set(key, node instanceof Error || node === null ? node : parsePullRequestNode(ref.repo, node));
  }
  return out;
}

/** Splits refs into batches of at most `size`, keeping each repository's PRs together where it can. */
export function chunkRefs(refs: readonly PrRef[], size = PRS_PER_QUERY): PrRef[][] {
  const unique = new Map<string, PrRef>();
  for (const ref of refs) unique.set(prKey(ref), ref);
  const sorted = [...unique.values()].sort((a, b) => (a.repo === b.repo ? a.number - b.number : a.repo < b.repo ? -1 : 1));
  const chunks: PrRef[][] = [];
  for (let i = 0; i < sorted.length; i += size) chunks.push(sorted.slice(i, i + size));
  return chunks;
}
