/**
 * The fake's state as GraphQL objects for graphql-js's default resolvers: a plain field is a value,
 * a field with arguments (connections, `pullRequest(number:)`) is a function of its arguments.
 * Every object names its `__typename`, so unions (`StatusCheckRollupContext`) and interfaces
 * (`Actor`, `Node`) resolve. A field of GitHub's schema that the fake does not model is missing
 * here and fails loudly (see `strictFieldResolver`), rather than answering null.
 */
import { defaultFieldResolver, GraphQLError, type GraphQLFieldResolver } from 'graphql';
import { reviewDecision, rollupState } from './shapes.js';
import type { Store } from './store.js';
import type { FakeCheckRun, FakePullRequest, FakeRepo, FakeReview, FakeReviewThread, FakeStatus } from './types.js';

type Obj = Record<string, unknown>;

/** An error carrying GitHub's `type` (`NOT_FOUND`), kept when errors are formatted. */
export class GitHubGraphqlError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export const strictFieldResolver: GraphQLFieldResolver<unknown, unknown> = (source, args, context, info) => {
  if (source && typeof source === 'object' && !(info.fieldName in source)) {
    throw new GraphQLError(`the fake GitHub does not model ${info.parentType.name}.${info.fieldName}: add it to testkit/src/fake-github/graphql-nodes.ts`);
  }
  return defaultFieldResolver(source, args, context, info);
};

const globalId = (kind: string, id: string | number): string => Buffer.from(`${kind}:${id}`).toString('base64');
const cursorOf = (index: number): string => Buffer.from(`cursor:v2:${index}`).toString('base64');
const indexOf = (cursor: unknown): number | undefined => {
  if (typeof cursor !== 'string') return undefined;
  const match = /^cursor:v2:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  if (!match) throw new GitHubGraphqlError('INVALID_CURSOR_ARGUMENTS', `\`${cursor}\` does not appear to be a valid cursor.`);
  return Number(match[1]);
};

interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

/** A connection over `items` with Relay paging, as GitHub pages (cursors are opaque indexes). */
export function connection(items: readonly Obj[], args: PageArgs, extra: Obj = {}): Obj {
  let start = 0;
  let end = items.length;
  const after = indexOf(args.after);
  const before = indexOf(args.before);
  if (after !== undefined) start = Math.max(start, after + 1);
  if (before !== undefined) end = Math.min(end, before);
  if (typeof args.first === 'number') end = Math.min(end, start + args.first);
  if (typeof args.last === 'number') start = Math.max(start, end - args.last);
  const page = items.slice(start, Math.max(start, end)).map((node, i) => ({ node, cursor: cursorOf(start + i) }));
  return {
    totalCount: items.length,
    nodes: page.map((e) => e.node),
    edges: page,
    pageInfo: {
      hasNextPage: end < items.length,
      hasPreviousPage: start > 0,
      startCursor: page[0]?.cursor ?? null,
      endCursor: page.at(-1)?.cursor ?? null,
    },
    ...extra,
  };
}

const upper = (value: string | null): string | null => (value === null ? null : value.toUpperCase());

export function actor(login: string): Obj {
  const bot = login.endsWith('[bot]');
  return { __typename: bot ? 'Bot' : 'User', login: bot ? login.slice(0, -'[bot]'.length) : login, url: `https://github.com/${login}` };
}

function checkRunNode(run: FakeCheckRun): Obj {
  return {
    __typename: 'CheckRun',
    id: globalId('CheckRun', run.id),
    databaseId: run.id,
    name: run.name,
    status: upper(run.status),
    conclusion: run.status === 'completed' ? upper(run.conclusion) : null,
    detailsUrl: run.detailsUrl,
    startedAt: run.startedAt,
    completedAt: run.completedAt,
    title: run.output.title,
    summary: run.output.summary,
    text: run.output.text,
  };
}

function statusNode(status: FakeStatus): Obj {
  return {
    __typename: 'StatusContext',
    id: globalId('StatusContext', status.id),
    context: status.context,
    state: upper(status.state),
    targetUrl: status.targetUrl,
    description: status.description,
    createdAt: status.createdAt,
  };
}

const CHECK_RUN_STATES = ['ACTION_REQUIRED', 'CANCELLED', 'COMPLETED', 'FAILURE', 'IN_PROGRESS', 'NEUTRAL', 'PENDING', 'QUEUED', 'SKIPPED', 'STALE', 'STARTUP_FAILURE', 'SUCCESS', 'TIMED_OUT', 'WAITING'];

/** GitHub counts a completed run by its conclusion and an unfinished one by its status. */
function countsByState<T>(items: readonly T[], state: (item: T) => string): Obj[] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(state(item), (counts.get(state(item)) ?? 0) + 1);
  return [...counts].map(([s, count]) => ({ state: s, count }));
}

function commitNode(repo: FakeRepo, sha: string): Obj {
  const runs = repo.checkRuns.get(sha) ?? [];
  const statuses = repo.statuses.get(sha) ?? [];
  const rollup = rollupState(runs, statuses);
  const contexts = [...runs.map(checkRunNode), ...statuses.map(statusNode)];
  return {
    __typename: 'Commit',
    id: globalId('Commit', sha),
    oid: sha,
    statusCheckRollup:
      rollup === null
        ? null
        : {
            __typename: 'StatusCheckRollup',
            id: globalId('StatusCheckRollup', sha),
            state: rollup,
            contexts: (args: PageArgs) =>
              connection(contexts, args, {
                checkRunCount: runs.length,
                checkRunCountsByState: countsByState(runs, (r) => {
                  const s = (r.status === 'completed' ? (r.conclusion ?? 'neutral') : r.status).toUpperCase();
                  return CHECK_RUN_STATES.includes(s) ? s : 'NEUTRAL';
                }),
                statusContextCount: statuses.length,
                statusContextCountsByState: countsByState(statuses, (s) => s.state.toUpperCase()),
              }),
          },
  };
}

function reviewNode(review: FakeReview): Obj {
  return {
    __typename: 'PullRequestReview',
    id: globalId('PullRequestReview', review.id),
    databaseId: review.id,
    state: review.state,
    body: review.body,
    author: actor(review.user),
    submittedAt: review.submittedAt,
  };
}

/** Each reviewer's latest review, a decisive one (approve / request changes) over later comments, as GitHub does. */
function latestReviews(pr: FakePullRequest): FakeReview[] {
  const latest = new Map<string, FakeReview>();
  for (const review of pr.reviews) {
    const previous = latest.get(review.user);
    if (previous && review.state === 'COMMENTED' && previous.state !== 'COMMENTED') continue;
    latest.set(review.user, review);
  }
  return [...latest.values()];
}

export function threadNode(repo: FakeRepo, pr: FakePullRequest, thread: FakeReviewThread, index: number): Obj {
  return {
    __typename: 'PullRequestReviewThread',
    id: threadId(repo, pr, index),
    isResolved: thread.resolved,
    isOutdated: false,
    path: thread.path,
    line: thread.line,
    comments: (args: PageArgs) =>
      connection(
        thread.comments.map((c) => ({
          __typename: 'PullRequestReviewComment',
          id: globalId('PullRequestReviewComment', c.id),
          databaseId: c.id,
          author: actor(c.user),
          body: c.body,
          path: thread.path,
          line: thread.line,
          createdAt: c.createdAt,
        })),
        args,
      ),
  };
}

export const threadId = (repo: FakeRepo, pr: FakePullRequest, index: number): string => globalId('PullRequestReviewThread', `${repo.fullName}#${pr.number}#${index}`);

export function pullRequestNode(repo: FakeRepo, pr: FakePullRequest): Obj {
  return {
    __typename: 'PullRequest',
    id: globalId('PullRequest', `${repo.fullName}#${pr.number}`),
    number: pr.number,
    state: upper(pr.state),
    isDraft: pr.draft,
    url: `https://github.com/${repo.fullName}/pull/${pr.number}`,
    title: pr.title,
    body: pr.body ?? '',
    createdAt: pr.createdAt,
    updatedAt: pr.updatedAt,
    headRefName: pr.head,
    headRefOid: pr.headSha,
    baseRefName: pr.base,
    mergeable: pr.mergeable === true ? 'MERGEABLE' : pr.mergeable === false ? 'CONFLICTING' : 'UNKNOWN',
    reviewDecision: reviewDecision(pr),
    author: actor(pr.author),
    latestReviews: (args: PageArgs) => connection(latestReviews(pr).map(reviewNode), args),
    reviews: (args: PageArgs) => connection(pr.reviews.map(reviewNode), args),
    commits: (args: PageArgs) => connection([{ __typename: 'PullRequestCommit', id: globalId('PullRequestCommit', pr.headSha), commit: commitNode(repo, pr.headSha) }], args),
    statusCheckRollup: () => commitNode(repo, pr.headSha).statusCheckRollup,
    reviewThreads: (args: PageArgs) => connection(pr.threads.map((t, i) => threadNode(repo, pr, t, i)), args),
  };
}

function repositoryNode(repo: FakeRepo): Obj {
  const pulls = (): FakePullRequest[] => [...repo.items.values()].filter((i): i is FakePullRequest => i.isPullRequest);
  return {
    __typename: 'Repository',
    id: globalId('Repository', repo.id),
    name: repo.name,
    nameWithOwner: repo.fullName,
    isPrivate: repo.private,
    pullRequest: ({ number }: { number: number }) => {
      const item = repo.items.get(number);
      if (!item?.isPullRequest) throw new GitHubGraphqlError('NOT_FOUND', `Could not resolve to a PullRequest with the number of ${number}.`);
      return pullRequestNode(repo, item);
    },
    pullRequests: (args: PageArgs & { states?: string[] | null }) => {
      const states = args.states?.map((s) => s.toLowerCase());
      return connection(
        pulls()
          .filter((pr) => !states || states.includes(pr.state))
          .map((pr) => pullRequestNode(repo, pr)),
        args,
      );
    },
  };
}

/** The root value: `repository`, `node` and `rateLimit` (the last computed by the server per query). */
export function queryRoot(store: Store, rateLimit: () => Obj): Obj {
  return {
    repository: ({ owner, name }: { owner: string; name: string }) => {
      const repo = store.findRepo(`${owner}/${name}`);
      if (!repo) throw new GitHubGraphqlError('NOT_FOUND', `Could not resolve to a Repository with the name '${owner}/${name}'.`);
      return repositoryNode(repo);
    },
    node: ({ id }: { id: string }) => {
      const match = /^PullRequestReviewThread:(.+)\/(.+)#(\d+)#(\d+)$/.exec(Buffer.from(id, 'base64').toString('utf8'));
      const repo = match ? store.findRepo(`${match[1]}/${match[2]}`) : undefined;
      const item = repo?.items.get(Number(match?.[3]));
      const thread = item?.isPullRequest ? item.threads[Number(match?.[4])] : undefined;
      if (!repo || !item?.isPullRequest || !thread) throw new GitHubGraphqlError('NOT_FOUND', `Could not resolve to a node with the global id of '${id}'`);
      return threadNode(repo, item, thread, Number(match?.[4]));
    },
    rateLimit: () => rateLimit(),
  };
}
