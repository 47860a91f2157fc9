/**
 * The rest of a PR's connections after the first page: checks beyond the 100th, more latest
 * reviews, review threads and their comments. Asked only for connections whose `pageInfo` said
 * `hasNextPage`, many pages in one query (aliased `p<i>`), until nothing is left.
 */
import { parseRepo } from './repo.js';
import {
  COMMENT_FIELDS,
  CONTEXT_FIELDS,
  nextCursor,
  nodes,
  obj,
  PAGE_INFO,
  RATE_LIMIT_FIELDS,
  THREAD_FIELDS,
  threadPart,
  type GraphQlError,
  type Json,
  type PrPart,
  type ThreadPart,
} from './pull-requests.js';

/** Pages asked for in one query. */
const PAGES_PER_QUERY = 50;
/** A safety bound on rounds: 100 pages of 100 is 10,000 items per connection. */
const MAX_ROUNDS = 100;

type PageTask =
  | { kind: 'contexts' | 'reviews' | 'threads'; part: PrPart; after: string }
  | { kind: 'comments'; part: PrPart; thread: ThreadPart; after: string };

function tasksOf(part: PrPart): PageTask[] {
  const tasks: PageTask[] = [];
  if (part.contextsAfter) tasks.push({ kind: 'contexts', part, after: part.contextsAfter });
  if (part.reviewsAfter) tasks.push({ kind: 'reviews', part, after: part.reviewsAfter });
  if (part.threadsAfter) tasks.push({ kind: 'threads', part, after: part.threadsAfter });
  for (const thread of part.threads ?? []) if (thread.commentsAfter && thread.id) tasks.push({ kind: 'comments', part, thread, after: thread.commentsAfter });
  return tasks;
}

function selection(task: PageTask, alias: string): string {
  const page = `first: 100, after: ${JSON.stringify(task.after)}`;
  if (task.kind === 'comments') {
    return `${alias}: node(id: ${JSON.stringify(task.thread.id)}) { ... on PullRequestReviewThread { comments(${page}) { ${PAGE_INFO} nodes { ${COMMENT_FIELDS} } } } }`;
  }
  const { owner, name } = parseRepo(task.part.repo);
  const pr = `pullRequest(number: ${Number(task.part.pr.number)})`;
  const inner =
    task.kind === 'contexts'
      ? `commits(last: 1) { nodes { commit { statusCheckRollup { contexts(${page}) { ${PAGE_INFO} nodes { ${CONTEXT_FIELDS} } } } } } }`
      : task.kind === 'reviews'
        ? `latestReviews(${page}) { ${PAGE_INFO} nodes { state author { login } } }`
        : `reviewThreads(${page}) { ${PAGE_INFO} nodes { ${THREAD_FIELDS} } }`;
  return `${alias}: repository(owner: ${JSON.stringify(owner)}, name: ${JSON.stringify(name)}) { ${pr} { ${inner} } }`;
}

/** Appends one page to the PR part; a page GitHub did not answer ends that connection here. */
function apply(task: PageTask, answer: Json | undefined): void {
  if (task.kind === 'comments') {
    const connection = obj(answer)?.comments;
    task.thread.comments.push(...nodes(connection));
    task.thread.commentsAfter = connection === undefined ? undefined : nextCursor(connection);
    return;
  }
  const pr = obj(obj(answer)?.pullRequest);
  if (task.kind === 'contexts') {
    const connection = obj(obj(nodes(pr?.commits)[0]?.commit)?.statusCheckRollup)?.contexts;
    task.part.contexts.push(...nodes(connection));
    task.part.contextsAfter = nextCursor(connection);
  } else if (task.kind === 'reviews') {
    task.part.reviews.push(...nodes(pr?.latestReviews));
    task.part.reviewsAfter = nextCursor(pr?.latestReviews);
  } else {
    task.part.threads?.push(...nodes(pr?.reviewThreads).map(threadPart));
    task.part.threadsAfter = nextCursor(pr?.reviewThreads);
  }
}

export type GraphqlRunner = (query: string) => Promise<{ data: Json | null; errors: GraphQlError[] }>;

/** Reads every remaining page of every part, in as few queries as it can. Returns the queries sent. */
export async function readRemainingPages(parts: readonly PrPart[], run: GraphqlRunner): Promise<number> {
  let queries = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const tasks = parts.flatMap(tasksOf);
    if (tasks.length === 0) break;
    for (let i = 0; i < tasks.length; i += PAGES_PER_QUERY) {
      const chunk = tasks.slice(i, i + PAGES_PER_QUERY);
      const query = `query AoPages {\n  ${RATE_LIMIT_FIELDS}\n${chunk.map((task, j) => `  ${selection(task, `p${j}`)}`).join('\n')}\n}`;
      const { data } = await run(query);
      queries++;
      chunk.forEach((task, j) => apply(task, obj(data?.[`p${j}`])));
    }
  }
  return queries;
}
