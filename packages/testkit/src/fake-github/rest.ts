/**
 * The REST routes of the fake: each matches a method and a path pattern and answers from the
 * store with GitHub's status codes and error bodies (404 `Not Found`, 422 `Validation Failed`,
 * 405 on an unmergeable merge, 409 on a stale head sha).
 */
import type { Store } from './store.js';
import {
  checkRunJson,
  combinedStatusJson,
  commentJson,
  fakeSha,
  issueJson,
  pullJson,
  repoJson,
  reviewCommentsJson,
  reviewJson,
  authenticatedUserJson,
  type ShapeContext,
} from './shapes.js';
import type { FakeItem, FakePullRequest, FakeRepo, MergeMethod } from './types.js';

export interface RestRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

export interface RestResponse {
  status: number;
  /** JSON-serialised unless `text` is set. */
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

interface RouteContext {
  req: RestRequest;
  params: string[];
  store: Store;
  shapes: ShapeContext;
  repo: FakeRepo;
}

const DOCS = 'https://docs.github.com/rest';
export const notFound = (): RestResponse => ({ status: 404, json: { message: 'Not Found', documentation_url: DOCS, status: '404' } });
const invalid = (resource: string, field: string, code = 'missing_field', message?: string): RestResponse => ({
  status: 422,
  json: { message: 'Validation Failed', errors: [{ resource, field, code, ...(message ? { message } : {}) }], documentation_url: DOCS, status: '422' },
});

function fields(body: unknown): Record<string, unknown> {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map((v) => (typeof v === 'string' ? v : String(fields(v).name ?? ''))).filter((v) => v !== '');
}

/** Slices one page and builds GitHub's `Link` header (`next`, `last`, `first`, `prev`). */
function paginate<T>(ctx: RouteContext, all: T[]): { page: T[]; headers: Record<string, string> } {
  const perPage = Math.min(100, Math.max(1, Number(ctx.req.query.per_page) || 30));
  const pageNo = Math.max(1, Number(ctx.req.query.page) || 1);
  const last = Math.max(1, Math.ceil(all.length / perPage));
  const link = (page: number, rel: string): string => {
    const query = new URLSearchParams({ ...ctx.req.query, per_page: String(perPage), page: String(page) });
    return `<${ctx.shapes.apiUrl}${ctx.req.path}?${query.toString()}>; rel="${rel}"`;
  };
  const rels: string[] = [];
  if (pageNo > 1) rels.push(link(pageNo - 1, 'prev'));
  if (pageNo < last) rels.push(link(pageNo + 1, 'next'), link(last, 'last'));
  if (pageNo > 1) rels.push(link(1, 'first'));
  return { page: all.slice((pageNo - 1) * perPage, pageNo * perPage), headers: rels.length > 0 ? { link: rels.join(', ') } : {} };
}

function sortItems<T extends FakeItem>(ctx: RouteContext, items: T[]): T[] {
  const key = ctx.req.query.sort === 'updated' ? 'updatedAt' : 'createdAt';
  const asc = ctx.req.query.direction === 'asc';
  // Numbers break ties: everything created in the same second still lists newest first.
  return items.sort((a, b) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : a.number - b.number) * (asc ? 1 : -1));
}

function matchesState(item: FakeItem, state: string | undefined): boolean {
  if (state === 'all') return true;
  return state === 'closed' ? item.state !== 'open' : item.state === 'open';
}

function listIssues(ctx: RouteContext): RestResponse {
  const { query } = ctx.req;
  const labels = (query.labels ?? '').split(',').map((l) => l.trim().toLowerCase()).filter(Boolean);
  const items = [...ctx.repo.items.values()].filter((item) => {
    if (!matchesState(item, query.state)) return false;
    const own = item.labels.map((l) => l.toLowerCase());
    if (!labels.every((l) => own.includes(l))) return false;
    if (query.assignee === 'none' && item.assignees.length > 0) return false;
    if (query.assignee === '*' && item.assignees.length === 0) return false;
    if (query.assignee && !['none', '*'].includes(query.assignee) && !item.assignees.some((a) => a.toLowerCase() === query.assignee!.toLowerCase())) return false;
    if (query.creator && item.author.toLowerCase() !== query.creator.toLowerCase()) return false;
    const milestone = query.milestone;
    if (milestone === 'none' && item.milestone !== null) return false;
    if (milestone === '*' && item.milestone === null) return false;
    // GitHub filters by milestone number; a title is accepted too, for convenience.
    if (milestone && !['none', '*'].includes(milestone) && !(item.milestone !== null && (String(ctx.repo.milestones.get(item.milestone)) === milestone || item.milestone === milestone))) return false;
    return true;
  });
  const { page, headers } = paginate(ctx, sortItems(ctx, items));
  return { status: 200, json: page.map((item) => issueJson(ctx.repo, item, ctx.shapes)), headers };
}

function findItem(ctx: RouteContext): FakeItem | undefined {
  return ctx.repo.items.get(Number(ctx.params[0]));
}

function createIssue(ctx: RouteContext): RestResponse {
  const body = fields(ctx.req.body);
  if (typeof body.title !== 'string' || body.title === '') return invalid('Issue', 'title');
  const assignees = stringList(body.assignees) ?? (typeof body.assignee === 'string' ? [body.assignee] : []);
  const issue = ctx.store.addIssue(ctx.repo.fullName, { title: body.title, body: typeof body.body === 'string' ? body.body : undefined, labels: stringList(body.labels), assignees }, ctx.store.login);
  if (typeof body.milestone === 'number' || typeof body.milestone === 'string') {
    const title = [...ctx.repo.milestones].find(([t, n]) => String(n) === String(body.milestone) || t === body.milestone)?.[0];
    if (!title) return invalid('Issue', 'milestone', 'invalid');
    ctx.store.setMilestone(ctx.repo, issue, title);
  }
  return { status: 201, json: issueJson(ctx.repo, issue, ctx.shapes) };
}

function patchIssue(ctx: RouteContext): RestResponse {
  const item = findItem(ctx);
  if (!item) return notFound();
  const body = fields(ctx.req.body);
  if (typeof body.title === 'string') item.title = body.title;
  if (typeof body.body === 'string' || body.body === null) item.body = body.body;
  const labels = stringList(body.labels);
  if (labels) item.labels = labels;
  const assignees = stringList(body.assignees) ?? (typeof body.assignee === 'string' ? [body.assignee] : body.assignee === null ? [] : undefined);
  if (assignees) item.assignees = assignees;
  if (body.milestone === null) ctx.store.setMilestone(ctx.repo, item, null);
  else if (body.milestone !== undefined) {
    const title = [...ctx.repo.milestones].find(([, n]) => String(n) === String(body.milestone))?.[0];
    if (!title) return invalid('Issue', 'milestone', 'invalid');
    ctx.store.setMilestone(ctx.repo, item, title);
  }
  if (body.state === 'open' || body.state === 'closed') {
    const reason = body.state_reason === 'not_planned' || body.state_reason === 'completed' ? body.state_reason : undefined;
    ctx.store.setItemState(item, body.state, reason);
  }
  item.updatedAt = ctx.store.now();
  return { status: 200, json: issueJson(ctx.repo, item, ctx.shapes) };
}

function addComment(ctx: RouteContext): RestResponse {
  const item = findItem(ctx);
  if (!item) return notFound();
  const { body } = fields(ctx.req.body);
  if (typeof body !== 'string' || body === '') return invalid('IssueComment', 'body');
  const comment = { id: ctx.store.nextId(), body, user: ctx.store.login, createdAt: ctx.store.now() };
  item.comments.push(comment);
  item.updatedAt = comment.createdAt;
  return { status: 201, json: commentJson(ctx.repo, item.number, comment, ctx.shapes) };
}

function listComments(ctx: RouteContext): RestResponse {
  const item = findItem(ctx);
  if (!item) return notFound();
  const { page, headers } = paginate(ctx, item.comments);
  return { status: 200, json: page.map((c) => commentJson(ctx.repo, item.number, c, ctx.shapes)), headers };
}

function changeAssignees(ctx: RouteContext, add: boolean): RestResponse {
  const item = findItem(ctx);
  if (!item) return notFound();
  const names = stringList(fields(ctx.req.body).assignees) ?? [];
  item.assignees = add ? [...new Set([...item.assignees, ...names])].slice(0, 10) : item.assignees.filter((a) => !names.includes(a));
  item.updatedAt = ctx.store.now();
  return { status: add ? 201 : 200, json: issueJson(ctx.repo, item, ctx.shapes) };
}

function addLabels(ctx: RouteContext): RestResponse {
  const item = findItem(ctx);
  if (!item) return notFound();
  const names = stringList(Array.isArray(ctx.req.body) ? ctx.req.body : fields(ctx.req.body).labels) ?? [];
  item.labels = [...new Set([...item.labels, ...names])];
  return { status: 200, json: (issueJson(ctx.repo, item, ctx.shapes).labels as unknown[]) };
}

function removeLabel(ctx: RouteContext): RestResponse {
  const item = findItem(ctx);
  const name = decodeURIComponent(ctx.params[1] ?? '');
  if (!item || !item.labels.includes(name)) return { status: 404, json: { message: 'Label does not exist', documentation_url: DOCS, status: '404' } };
  item.labels = item.labels.filter((l) => l !== name);
  return { status: 200, json: issueJson(ctx.repo, item, ctx.shapes).labels };
}

function pulls(repo: FakeRepo): FakePullRequest[] {
  return [...repo.items.values()].filter((i): i is FakePullRequest => i.isPullRequest);
}

/** `head` is `owner:branch` on GitHub; a bare branch is matched too. */
function headBranch(repo: FakeRepo, head: string): string | undefined {
  const colon = head.indexOf(':');
  if (colon === -1) return head;
  return head.slice(0, colon).toLowerCase() === repo.owner.toLowerCase() ? head.slice(colon + 1) : undefined;
}

function listPulls(ctx: RouteContext): RestResponse {
  const { query } = ctx.req;
  const head = query.head === undefined ? undefined : headBranch(ctx.repo, query.head);
  const list = pulls(ctx.repo).filter(
    (pr) => matchesState(pr, query.state) && (query.head === undefined || pr.head === head) && (query.base === undefined || pr.base === query.base),
  );
  const { page, headers } = paginate(ctx, sortItems(ctx, list));
  return { status: 200, json: page.map((pr) => pullJson(ctx.repo, pr, ctx.shapes, false)), headers };
}

function createPull(ctx: RouteContext): RestResponse {
  const body = fields(ctx.req.body);
  if (typeof body.head !== 'string' || body.head === '') return invalid('PullRequest', 'head');
  if (typeof body.base !== 'string' || body.base === '') return invalid('PullRequest', 'base');
  if (typeof body.title !== 'string' || body.title === '') return invalid('PullRequest', 'title');
  const head = headBranch(ctx.repo, body.head) ?? body.head.slice(body.head.indexOf(':') + 1);
  if (pulls(ctx.repo).some((pr) => pr.state === 'open' && pr.head === head)) {
    return invalid('PullRequest', 'head', 'custom', `A pull request already exists for ${ctx.repo.owner}:${head}.`);
  }
  const pr = ctx.store.addPullRequest(
    ctx.repo.fullName,
    { head, base: body.base, title: body.title, body: typeof body.body === 'string' ? body.body : undefined, draft: body.draft === true },
    ctx.store.login,
  );
  return { status: 201, json: pullJson(ctx.repo, pr, ctx.shapes, true) };
}

function findPull(ctx: RouteContext): FakePullRequest | undefined {
  const item = findItem(ctx);
  return item?.isPullRequest ? item : undefined;
}

function patchPull(ctx: RouteContext): RestResponse {
  const pr = findPull(ctx);
  if (!pr) return notFound();
  const body = fields(ctx.req.body);
  if (typeof body.title === 'string') pr.title = body.title;
  if (typeof body.body === 'string') pr.body = body.body;
  if (typeof body.base === 'string') pr.base = body.base;
  if (body.state === 'open' || body.state === 'closed') ctx.store.setItemState(pr, body.state);
  pr.updatedAt = ctx.store.now();
  return { status: 200, json: pullJson(ctx.repo, pr, ctx.shapes, true) };
}

function mergePull(ctx: RouteContext): RestResponse {
  const pr = findPull(ctx);
  if (!pr) return notFound();
  const body = fields(ctx.req.body);
  const method = (body.merge_method ?? 'merge') as MergeMethod;
  if (!['merge', 'squash', 'rebase'].includes(method)) return invalid('PullRequest', 'merge_method', 'invalid');
  if (pr.state !== 'open' || pr.mergeable === false || pr.draft) {
    return { status: 405, json: { message: 'Pull Request is not mergeable', documentation_url: DOCS, status: '405' } };
  }
  if (typeof body.sha === 'string' && body.sha !== pr.headSha) {
    return { status: 409, json: { message: 'Head branch was modified. Review and try the merge again.', documentation_url: DOCS, status: '409' } };
  }
  pr.mergeCommitSha = fakeSha('merge', pr.headSha, method);
  pr.mergeMethod = method;
  ctx.store.setItemState(pr, 'merged');
  return { status: 200, json: { sha: pr.mergeCommitSha, merged: true, message: 'Pull Request successfully merged' } };
}

function listReviews(ctx: RouteContext): RestResponse {
  const pr = findPull(ctx);
  if (!pr) return notFound();
  const { page, headers } = paginate(ctx, pr.reviews);
  return { status: 200, json: page.map((r) => reviewJson(ctx.repo, pr, r, ctx.shapes)), headers };
}

function listReviewComments(ctx: RouteContext): RestResponse {
  const pr = findPull(ctx);
  if (!pr) return notFound();
  const { page, headers } = paginate(ctx, reviewCommentsJson(ctx.repo, pr, ctx.shapes));
  return { status: 200, json: page, headers };
}

function noCommit(ref: string): RestResponse {
  return { status: 422, json: { message: `No commit found for SHA: ${ref}`, documentation_url: DOCS, status: '422' } };
}

function listCheckRuns(ctx: RouteContext): RestResponse {
  const ref = decodeURIComponent(ctx.params[0] ?? '');
  const sha = ctx.store.resolveRef(ctx.repo, ref);
  if (!sha) return noCommit(ref);
  const { query } = ctx.req;
  let runs = ctx.repo.checkRuns.get(sha) ?? [];
  // `filter=latest` (the default) keeps the most recent run of each name.
  if (query.filter !== 'all') runs = runs.filter((run, i) => !runs.slice(i + 1).some((later) => later.name === run.name));
  if (query.check_name) runs = runs.filter((run) => run.name === query.check_name);
  if (query.status) runs = runs.filter((run) => run.status === query.status);
  const { page, headers } = paginate(ctx, runs);
  return { status: 200, json: { total_count: runs.length, check_runs: page.map((run) => checkRunJson(ctx.repo, run, ctx.shapes)) }, headers };
}

function combinedStatus(ctx: RouteContext): RestResponse {
  const ref = decodeURIComponent(ctx.params[0] ?? '');
  const sha = ctx.store.resolveRef(ctx.repo, ref);
  if (!sha) return noCommit(ref);
  return { status: 200, json: combinedStatusJson(ctx.repo, sha, ctx.repo.statuses.get(sha) ?? [], ctx.shapes) };
}

/** GitHub answers with a 302 to a short-lived blob URL; here the blob lives on the fake itself. */
function jobLogs(ctx: RouteContext): RestResponse {
  const id = Number(ctx.params[0]);
  if (!ctx.store.findCheckRun(ctx.repo, id)) return notFound();
  return { status: 302, headers: { location: `${ctx.shapes.apiUrl}${JOB_LOG_BLOB_PREFIX}${ctx.repo.fullName}/${id}` } };
}

/** Unauthenticated path the job-log redirect points at (like GitHub's signed blob URL). */
export const JOB_LOG_BLOB_PREFIX = '/_fake/job-logs/';

type Handler = (ctx: RouteContext) => RestResponse;
const REPO_ROUTES: [string, RegExp, Handler][] = [
  ['GET', /^$/, (ctx) => ({ status: 200, json: repoJson(ctx.repo, ctx.shapes) })],
  ['GET', /^\/issues$/, listIssues],
  ['POST', /^\/issues$/, createIssue],
  ['GET', /^\/issues\/(\d+)$/, (ctx) => {
    const item = findItem(ctx);
    return item ? { status: 200, json: issueJson(ctx.repo, item, ctx.shapes) } : notFound();
  }],
  ['PATCH', /^\/issues\/(\d+)$/, patchIssue],
  ['GET', /^\/issues\/(\d+)\/comments$/, listComments],
  ['POST', /^\/issues\/(\d+)\/comments$/, addComment],
  ['POST', /^\/issues\/(\d+)\/assignees$/, (ctx) => changeAssignees(ctx, true)],
  ['DELETE', /^\/issues\/(\d+)\/assignees$/, (ctx) => changeAssignees(ctx, false)],
  ['POST', /^\/issues\/(\d+)\/labels$/, addLabels],
  ['DELETE', /^\/issues\/(\d+)\/labels\/([^/]+)$/, removeLabel],
  ['GET', /^\/pulls$/, listPulls],
  ['POST', /^\/pulls$/, createPull],
  ['GET', /^\/pulls\/(\d+)$/, (ctx) => {
    const pr = findPull(ctx);
    return pr ? { status: 200, json: pullJson(ctx.repo, pr, ctx.shapes, true) } : notFound();
  }],
  ['PATCH', /^\/pulls\/(\d+)$/, patchPull],
  ['PUT', /^\/pulls\/(\d+)\/merge$/, mergePull],
  ['GET', /^\/pulls\/(\d+)\/reviews$/, listReviews],
  ['GET', /^\/pulls\/(\d+)\/comments$/, listReviewComments],
  ['GET', /^\/commits\/([^/]+(?:\/[^/]+)*?)\/check-runs$/, listCheckRuns],
  ['GET', /^\/commits\/([^/]+(?:\/[^/]+)*?)\/status$/, combinedStatus],
  ['GET', /^\/actions\/jobs\/(\d+)\/logs$/, jobLogs],
];

/** Answers one authenticated REST request, or 404 like GitHub for anything it doesn't know. */
export function handleRest(req: RestRequest, store: Store, shapes: ShapeContext): RestResponse {
  if (req.method === 'GET' && req.path === '/user') return { status: 200, json: authenticatedUserJson(store.login) };
  const match = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(req.path);
  if (!match) return notFound();
  const repo = store.findRepo(`${decodeURIComponent(match[1]!)}/${decodeURIComponent(match[2]!)}`);
  if (!repo) return notFound();
  const rest = match[3] ?? '';
  for (const [method, pattern, handler] of REPO_ROUTES) {
    const params = pattern.exec(rest);
    if (method === req.method && params) return handler({ req, params: params.slice(1), store, shapes, repo });
  }
  return notFound();
}
