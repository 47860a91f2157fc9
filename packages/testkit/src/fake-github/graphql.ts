/**
 * The one GraphQL query ao sends: batched PR lookups, `r<i>: repository(owner:, name:) { pr<N>:
 * pullRequest(number: N) { ... } }`, optionally with `rateLimit { ... }`. The fake does not parse
 * GraphQL: it finds the repository blocks and PR aliases with regexes and answers each with a fixed
 * shape (documented in the spec), whatever the selection asks for. Unknown PRs and repos come back
 * as `null` with a `NOT_FOUND` error, as on GitHub.
 */
import { reviewDecision, rollupState } from './shapes.js';
import type { Store } from './store.js';
import type { FakePullRequest, FakeRepo } from './types.js';

export interface GraphqlResult {
  json: { data: Record<string, unknown>; errors?: unknown[] };
  /** How many `pullRequest(...)` selections the query held. */
  aliases: number;
  wantsRateLimit: boolean;
}

type Variables = Record<string, unknown>;

/** Reads `key: "literal" | 123 | $var` arguments. */
function parseArgs(text: string, variables: Variables): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const m of text.matchAll(/(\w+)\s*:\s*(?:"((?:[^"\\]|\\.)*)"|(-?\d+)|\$(\w+))/g)) {
    args[m[1]!] = m[2] !== undefined ? m[2] : m[3] !== undefined ? Number(m[3]) : variables[m[4]!];
  }
  return args;
}

function location(query: string, index: number): { line: number; column: number } {
  const before = query.slice(0, index).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

function upper<T extends string | null>(value: T): Uppercase<NonNullable<T>> | null {
  return value === null ? null : (value.toUpperCase() as Uppercase<NonNullable<T>>);
}

export function pullRequestNode(repo: FakeRepo, pr: FakePullRequest): Record<string, unknown> {
  const runs = repo.checkRuns.get(pr.headSha) ?? [];
  const statuses = repo.statuses.get(pr.headSha) ?? [];
  const rollup = rollupState(runs, statuses);
  return {
    number: pr.number,
    state: upper(pr.state),
    isDraft: pr.draft,
    url: `https://github.com/${repo.fullName}/pull/${pr.number}`,
    title: pr.title,
    headRefName: pr.head,
    headRefOid: pr.headSha,
    baseRefName: pr.base,
    mergeable: pr.mergeable === true ? 'MERGEABLE' : pr.mergeable === false ? 'CONFLICTING' : 'UNKNOWN',
    reviewDecision: reviewDecision(pr),
    commits: { nodes: [{ commit: { oid: pr.headSha, statusCheckRollup: rollup === null ? null : { state: rollup }, checkSuites: null } }] },
    checks: {
      nodes: [
        ...runs.map((run) => ({ __typename: 'CheckRun', name: run.name, status: upper(run.status), conclusion: run.status === 'completed' ? upper(run.conclusion) : null, databaseId: run.id, detailsUrl: run.detailsUrl })),
        ...statuses.map((s) => ({ __typename: 'StatusContext', context: s.context, state: upper(s.state), targetUrl: s.targetUrl })),
      ],
    },
    reviewThreads: {
      nodes: pr.threads.map((t) => ({ isResolved: t.resolved, comments: { nodes: t.comments.map((c) => ({ author: { login: c.user }, body: c.body, path: t.path, line: t.line })) } })),
    },
  };
}

export function handleGraphql(query: string, variables: Variables, store: Store): GraphqlResult {
  const data: Record<string, unknown> = {};
  const errors: unknown[] = [];
  const repoMatches = [...query.matchAll(/(?:(\w+)\s*:\s*)?\brepository\s*\(([^)]*)\)/g)];
  const prMatches = [...query.matchAll(/(?:(\w+)\s*:\s*)?\bpullRequest\s*\(([^)]*)\)/g)];
  repoMatches.forEach((repoMatch, i) => {
    const repoKey = repoMatch[1] ?? 'repository';
    const args = parseArgs(repoMatch[2]!, variables);
    const repo = store.findRepo(`${String(args.owner)}/${String(args.name)}`);
    const end = repoMatches[i + 1]?.index ?? query.length;
    const inBlock = prMatches.filter((m) => m.index > repoMatch.index && m.index < end);
    if (!repo) {
      data[repoKey] = null;
      errors.push({ type: 'NOT_FOUND', path: [repoKey], locations: [location(query, repoMatch.index)], message: `Could not resolve to a Repository with the name '${String(args.owner)}/${String(args.name)}'.` });
      return;
    }
    const block: Record<string, unknown> = {};
    for (const prMatch of inBlock) {
      const prKey = prMatch[1] ?? 'pullRequest';
      const number = Number(parseArgs(prMatch[2]!, variables).number);
      const item = repo.items.get(number);
      if (item?.isPullRequest) {
        block[prKey] = pullRequestNode(repo, item);
      } else {
        block[prKey] = null;
        errors.push({ type: 'NOT_FOUND', path: [repoKey, prKey], locations: [location(query, prMatch.index)], message: `Could not resolve to a PullRequest with the number of ${number}.` });
      }
    }
    data[repoKey] = block;
  });
  return { json: errors.length > 0 ? { data, errors } : { data }, aliases: prMatches.length, wantsRateLimit: /\brateLimit\b/.test(query) };
}
