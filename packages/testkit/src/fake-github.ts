/**
 * A fake GitHub: a real HTTP server on 127.0.0.1 that speaks the subset of GitHub's REST API ao
 * uses, with GitHub's auth, rate-limit headers, ETags, pagination and error bodies, and executes
 * GraphQL against GitHub's published schema, charging points by GitHub's formula.
 * Tests script its state (repos, issues, PRs, checks, reviews, failures) and assert on the
 * requests it recorded and the state it ended in. Point a client at it with `GITHUB_API_URL=url`.
 *
 *   const gh = await startFakeGitHub();
 *   gh.addPullRequest('acme/app', { number: 7, head: 'ao/feat-1' });
 *   gh.setCheckRuns('acme/app', gh.pullRequest('acme/app', 7).headSha, [{ name: 'ci', status: 'completed', conclusion: 'failure', log: 'boom' }]);
 *   ... run the code under test with GITHUB_API_URL=gh.url, GITHUB_TOKEN=gh.token ...
 *   expect(gh.pullRequest('acme/app', 7).mergeMethod).toBe('squash');
 *   await gh.close();
 */
import { createHash } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleGraphql } from './fake-github/graphql.js';
import { handleRest, JOB_LOG_BLOB_PREFIX, type RestResponse } from './fake-github/rest.js';
import type { ShapeContext } from './fake-github/shapes.js';
import { createStore } from './fake-github/store.js';
import type {
  CheckRunInput,
  FailSpec,
  FakeGitHubOptions,
  FakeGitHubRequest,
  FakeItem,
  FakePullRequest,
  IssueInput,
  PullRequestInput,
  PullRequestPatch,
  RateLimitPatch,
  RateResource,
  StatusInput,
} from './fake-github/types.js';

export type * from './fake-github/types.js';

export interface FakeGitHub {
  /** API base, e.g. `http://127.0.0.1:PORT`, or `http://127.0.0.1:PORT/api/v3` with `enterprise` (what `GITHUB_API_URL` is set to). */
  readonly url: string;
  readonly token: string;
  /** Every request in arrival order, with the status it got. The array is cleared in place by `resetRequests`. */
  readonly requests: FakeGitHubRequest[];
  resetRequests(): void;
  addRepo(fullName: string, opts?: { defaultBranch?: string; private?: boolean }): void;
  /** Adds an issue (creating the repo if needed); returns its number. */
  addIssue(repo: string, issue: IssueInput): number;
  /** Adds a PR (creating the repo if needed); returns its number. Issues and PRs share numbers. */
  addPullRequest(repo: string, pr: PullRequestInput): number;
  /** Changes a PR behind the client's back: force-push (`headSha`), close, merge, conflicts. */
  updatePullRequest(repo: string, number: number, patch: PullRequestPatch): void;
  /** Replaces the check runs on a commit. A run's `id` is also the Actions job id its `log` is served under. */
  setCheckRuns(repo: string, sha: string, runs: CheckRunInput[]): void;
  /** Replaces the commit statuses on a commit. */
  setStatuses(repo: string, sha: string, statuses: StatusInput[]): void;
  addReview(repo: string, pr: number, review: { state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED'; body?: string; user?: string }): void;
  addReviewThread(repo: string, pr: number, thread: { path?: string; line?: number; comments: { body: string; user?: string }[]; resolved?: boolean }): void;
  /** Sets both budgets, or the one named by `resource`. */
  setRateLimit(limit: RateLimitPatch): void;
  /** A budget as the server currently counts it: `core` (REST requests, the default) or `graphql` (points). */
  getRateLimit(resource?: RateResource): { limit: number; remaining: number; resetAt: number };
  /** Makes the next matching request(s) fail before auth is checked (5xx, 403 secondary limit, 401, ...). Queued specs apply in order. */
  failNext(spec: FailSpec): void;
  /** The live state of an issue or PR (PRs are issues too). Throws if there is none. */
  issue(repo: string, number: number): FakeItem;
  /** The live state of a PR. Throws if there is none or the number is an issue. */
  pullRequest(repo: string, number: number): FakePullRequest;
  /** Stops the server and closes open connections. Safe to call twice. */
  close(): Promise<void>;
}

const RATE_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';
const HOUR_S = 3600;

const nowS = (): number => Math.floor(Date.now() / 1000);

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        resolve(text);
      }
    });
  });
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = (tag: string): string => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const token = options.token ?? 'test-token';
  const scopes = options.scopes ?? ['repo'];
  const store = createStore(options.login ?? 'ao-test-user');
  const requests: FakeGitHubRequest[] = [];
  const failures: (FailSpec & { left: number })[] = [];
  // GitHub keeps separate budgets: `core` counts REST requests, `graphql` counts points.
  const buckets: Record<RateResource, { limit: number; remaining: number; resetAt: number }> = {
    core: { limit: options.rateLimit ?? 5000, remaining: options.rateLimit ?? 5000, resetAt: nowS() + HOUR_S },
    graphql: { limit: options.graphqlPoints ?? options.rateLimit ?? 5000, remaining: options.graphqlPoints ?? options.rateLimit ?? 5000, resetAt: nowS() + HOUR_S },
  };
  const shapes: ShapeContext = { apiUrl: '', login: store.login };
  let requestCounter = 0;
  let origin = '';

  /** GitHub refills the whole budget once the reset time passes. */
  const refill = (): void => {
    for (const rate of Object.values(buckets)) {
      if (nowS() < rate.resetAt) continue;
      rate.remaining = rate.limit;
      rate.resetAt = nowS() + HOUR_S;
    }
  };
  const charge = (): void => {
    buckets.core.remaining = Math.max(0, buckets.core.remaining - 1);
  };

  const takeFailure = (path: string): FailSpec | undefined => {
    const index = failures.findIndex((f) => f.pathPrefix === undefined || path.startsWith(f.pathPrefix));
    const failure = failures[index];
    if (!failure) return undefined;
    if (--failure.left <= 0) failures.splice(index, 1);
    return failure;
  };

  const failureResponse = (spec: FailSpec): RestResponse => {
    let message = spec.message ?? STATUS_CODES[spec.status] ?? 'Error';
    let documentation = 'https://docs.github.com/rest';
    if (spec.secondary) {
      message = spec.message ?? 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.';
      documentation = `${RATE_DOCS}#about-secondary-rate-limits`;
    } else if (spec.status === 401) message = spec.message ?? 'Bad credentials';
    else if (spec.status >= 500) message = spec.message ?? 'Server Error';
    return {
      status: spec.status,
      json: { message, documentation_url: documentation, status: String(spec.status) },
      headers: spec.retryAfter === undefined ? {} : { 'retry-after': String(spec.retryAfter) },
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', origin);
    const method = req.method ?? 'GET';
    const record: FakeGitHubRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body: await readBody(req), status: 0 };
    requests.push(record);
    // GitHub Enterprise Server: REST under /api/v3, GraphQL at /api/graphql (and nothing at /api/v3/graphql).
    const graphqlPath = options.enterprise ? '/api/graphql' : '/graphql';
    const isGraphql = url.pathname === graphqlPath;
    if (options.enterprise && !isGraphql) {
      if (url.pathname !== '/api/v3' && !url.pathname.startsWith('/api/v3/')) {
        res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ message: 'Not Found', documentation_url: 'https://docs.github.com/enterprise-server/rest' }));
        record.status = 404;
        return;
      }
      url.pathname = url.pathname.slice('/api/v3'.length) || '/';
    }
    const resource: RateResource = isGraphql ? 'graphql' : 'core';
    const rate = buckets[resource];

    const send = (response: RestResponse): void => {
      record.status = response.status;
      const body = response.text ?? (response.json === undefined ? '' : JSON.stringify(response.json));
      const headers: Record<string, string> = {
        'x-oauth-scopes': scopes.join(', '),
        'x-accepted-oauth-scopes': '',
        'x-github-media-type': 'github.v3; format=json',
        'x-github-request-id': `FAKE:${(++requestCounter).toString(16).toUpperCase()}`,
        'x-ratelimit-limit': String(rate.limit),
        'x-ratelimit-remaining': String(rate.remaining),
        'x-ratelimit-reset': String(rate.resetAt),
        'x-ratelimit-used': String(rate.limit - rate.remaining),
        'x-ratelimit-resource': resource,
        ...(response.text !== undefined ? { 'content-type': 'text/plain; charset=utf-8' } : response.json !== undefined ? { 'content-type': 'application/json; charset=utf-8' } : {}),
        ...response.headers,
      };
      res.writeHead(response.status, headers);
      res.end(response.status === 304 ? undefined : body);
    };

    // The log "blob" sits behind a redirect like GitHub's signed URLs: no token, no rate limit.
    if (url.pathname.startsWith(JOB_LOG_BLOB_PREFIX)) {
      const [owner, name, id] = url.pathname.slice(JOB_LOG_BLOB_PREFIX.length).split('/');
      const repo = store.findRepo(`${owner}/${name}`);
      const run = repo ? store.findCheckRun(repo, Number(id)) : undefined;
      return send(run ? { status: 200, text: run.log } : { status: 404, text: 'BlobNotFound' });
    }

    refill();
    const failure = takeFailure(url.pathname);
    if (failure) return send(failureResponse(failure));

    const auth = /^(?:token|bearer)\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (auth?.[1]?.trim() !== token) return send({ status: 401, json: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' } });

    // Asking for the rate limit is free on GitHub, and answers even when the budget is spent.
    if (url.pathname === '/rate_limit' && method === 'GET') {
      const bucket = (r: RateResource) => ({ limit: buckets[r].limit, remaining: buckets[r].remaining, reset: buckets[r].resetAt, used: buckets[r].limit - buckets[r].remaining, resource: r });
      // GitHub lists more buckets; `search` is required by its description, the rest optional.
      const search = { limit: 30, remaining: 30, reset: buckets.core.resetAt, used: 0, resource: 'search' };
      return send({ status: 200, json: { resources: { core: bucket('core'), graphql: bucket('graphql'), search }, rate: bucket('core') } });
    }

    if (rate.remaining <= 0) {
      return send({ status: 403, json: { message: 'API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.', documentation_url: RATE_DOCS, status: '403' } });
    }

    if (isGraphql && method === 'POST') {
      const body = (record.body ?? {}) as { query?: unknown; variables?: unknown; operationName?: unknown };
      if (typeof body.query !== 'string') return send({ status: 400, json: { message: 'A query attribute must be specified and must be a string.', documentation_url: 'https://docs.github.com/graphql' } });
      const result = handleGraphql(body.query, (body.variables ?? {}) as Record<string, unknown>, store, rate, typeof body.operationName === 'string' ? body.operationName : undefined);
      if (result.cost) {
        record.graphqlAliases = result.cost.pullRequests;
        record.graphqlCost = result.cost.cost;
        record.graphqlNodes = result.cost.nodeCount;
      }
      return send({ status: 200, json: result.json });
    }

    const response = handleRest({ method, path: url.pathname, query: record.query, body: record.body }, store, shapes);
    if (method === 'GET' && response.status === 200) {
      const etag = `W/"${createHash('sha256').update(response.text ?? JSON.stringify(response.json)).digest('hex').slice(0, 40)}"`;
      response.headers = { ...response.headers, etag };
      // A conditional request answered with 304 does not count against the limit.
      if (etagMatches(req.headers['if-none-match'], etag)) return send({ status: 304, headers: response.headers });
    }
    charge();
    send(response);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `fake GitHub crashed: ${error instanceof Error ? error.message : String(error)}` }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  shapes.apiUrl = options.enterprise ? `${origin}/api/v3` : origin;
  let closing: Promise<void> | undefined;

  return {
    url: shapes.apiUrl,
    token,
    requests,
    resetRequests: () => {
      requests.length = 0;
    },
    addRepo: (fullName, opts) => {
      store.addRepo(fullName, opts);
    },
    addIssue: (repo, issue) => store.addIssue(repo, issue).number,
    addPullRequest: (repo, pr) => store.addPullRequest(repo, pr).number,
    updatePullRequest: (repo, number, patch) => {
      store.updatePullRequest(repo, number, patch);
    },
    setCheckRuns: (repo, sha, runs) => store.setCheckRuns(repo, sha, runs),
    setStatuses: (repo, sha, statuses) => store.setStatuses(repo, sha, statuses),
    addReview: (repo, pr, review) => store.addReview(repo, pr, review),
    addReviewThread: (repo, pr, thread) => store.addReviewThread(repo, pr, thread),
    setRateLimit: (patch) => {
      for (const resource of patch.resource ? [patch.resource] : (['core', 'graphql'] as const)) {
        const rate = buckets[resource];
        if (patch.limit !== undefined) rate.limit = patch.limit;
        if (patch.remaining !== undefined) rate.remaining = patch.remaining;
        if (patch.resetAt !== undefined) rate.resetAt = patch.resetAt;
      }
    },
    getRateLimit: (resource = 'core') => {
      refill();
      return { ...buckets[resource] };
    },
    failNext: (spec) => {
      failures.push({ ...spec, left: spec.times ?? 1 });
    },
    issue: (repo, number) => store.item(repo, number),
    pullRequest: (repo, number) => store.pull(repo, number),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
