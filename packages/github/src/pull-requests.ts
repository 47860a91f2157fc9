/**
 * The batched pull-request status query: ONE GraphQL request per 50 PRs (across repositories),
 * instead of four or five REST calls per PR. Repositories are aliased `r0`, `r1`, …; PRs `pr<N>`.
 */
import { parseRepo } from './repo.js';

/** GitHub's GraphQL node limits make 50 PRs with their checks and threads a safe batch. */
export const PRS_PER_QUERY = 50;

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

const PR_FIELDS = `fragment AoPr on PullRequest {
  number state isDraft url title headRefName headRefOid baseRefName mergeable reviewDecision
  latestReviews(first: 20) { nodes { state author { login } } }
  commits(last: 1) { nodes { commit { oid statusCheckRollup { state contexts(first: 100) { nodes {
    __typename
    ... on CheckRun { name status conclusion databaseId detailsUrl }
    ... on StatusContext { context state targetUrl }
  } } } } } }
  reviewThreads(first: 100) { nodes { isResolved comments(first: 30) { nodes { author { login } body path line } } } }
}`;

/** The query for one batch; `repos[i]` is aliased `r<i>`. */
export function buildPullRequestsQuery(refs: readonly PrRef[]): { query: string; repos: string[] } {
  const byRepo = new Map<string, number[]>();
  for (const ref of refs) {
    const list = byRepo.get(ref.repo) ?? [];
    if (!list.includes(ref.number)) list.push(ref.number);
    byRepo.set(ref.repo, list);
  }
  const repos = [...byRepo.keys()];
  const blocks = repos.map((repo, i) => {
    const { owner, name } = parseRepo(repo);
    const prs = byRepo.get(repo)!.map((n) => `    pr${n}: pullRequest(number: ${n}) { ...AoPr }`).join('\n');
    return `  r${i}: repository(owner: ${JSON.stringify(owner)}, name: ${JSON.stringify(name)}) {\n${prs}\n  }`;
  });
  const query = `query AoPullRequests {\n  rateLimit { cost remaining limit resetAt }\n${blocks.join('\n')}\n}\n${PR_FIELDS}`;
  return { query, repos };
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const nodes = (v: unknown): Json[] => {
  const list = obj(v)?.nodes;
  return Array.isArray(list) ? list.filter((n): n is Json => Boolean(obj(n))) : [];
};
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const lower = (v: unknown): string | null => (typeof v === 'string' ? v.toLowerCase() : null);

function parseCheck(node: Json): PrCheck | undefined {
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
function decisionFromLatestReviews(pr: Json): PrStatusData['reviewDecision'] {
  const states = nodes(pr.latestReviews).map((r) => lower(r.state));
  if (states.includes('changes_requested')) return 'changes_requested';
  if (states.includes('approved')) return 'approved';
  return null;
}

/** One PR from the GraphQL response, in GitHub's shape: checks are `statusCheckRollup.contexts` (CheckRun | StatusContext). */
export function parsePullRequestNode(repo: string, pr: Json): PrStatusData {
  const commit = obj(nodes(pr.commits)[0]?.commit);
  const rollup = obj(commit?.statusCheckRollup);
  const checkNodes = nodes(rollup?.contexts);
  const state = lower(pr.state);
  const mergeable = lower(pr.mergeable);
  const decision = lower(pr.reviewDecision);
  const unresolvedComments: PrThreadComment[] = [];
  for (const thread of nodes(pr.reviewThreads)) {
    if (thread.isResolved === true) continue;
    for (const c of nodes(thread.comments)) {
      const path = str(c.path);
      const line = typeof c.line === 'number' ? c.line : undefined;
      unresolvedComments.push({
        author: str(obj(c.author)?.login) ?? 'ghost',
        body: str(c.body) ?? '',
        ...(path ? { path } : {}),
        ...(line !== undefined ? { line } : {}),
      });
    }
  }
  return {
    repo,
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
      decision === 'approved' || decision === 'changes_requested' || decision === 'review_required' ? decision : decisionFromLatestReviews(pr),
    checkRollup: (lower(rollup?.state) as PrStatusData['checkRollup']) ?? null,
    checks: checkNodes.map(parseCheck).filter((c): c is PrCheck => c !== undefined),
    unresolvedComments,
  };
}

export interface GraphQlError {
  message: string;
  type?: string;
  path?: Array<string | number>;
}

/** Per ref: the data, `null` for a PR GitHub does not have, or an Error for a repository it does not show us. */
export type PrResult = PrStatusData | null | Error;

/** Splits one batch response back into per-PR results. */
export function parsePullRequestsResponse(
  refs: readonly PrRef[],
  repos: readonly string[],
  data: Json | null | undefined,
  errors: readonly GraphQlError[] = [],
): Map<string, PrResult> {
  const out = new Map<string, PrResult>();
  for (const ref of refs) {
    const i = repos.indexOf(ref.repo);
    const repoNode = obj(data?.[`r${i}`]);
    if (!repoNode) {
      const error = errors.find((e) => e.path?.[0] === `r${i}` && e.path.length === 1);
      out.set(prKey(ref), new Error(error?.message ?? `Could not resolve to a Repository with the name '${ref.repo}'.`));
      continue;
    }
    const pr = obj(repoNode[`pr${ref.number}`]);
    out.set(prKey(ref), pr ? parsePullRequestNode(ref.repo, pr) : null);
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
