/**
 * The one GitHub client: REST through @octokit/rest and GraphQL through the same transport, with an
 * ETag cache (a 304 costs no rate limit), pacing when the budget runs low, bounded retries with
 * backoff for 5xx / network errors / secondary limits, and health for `ao status` / `ao doctor`.
 *
 * Everything happens in a custom `fetch` handed to octokit: there the final URL, the headers and
 * the raw status are visible, and a 304 can be answered from the cache before octokit sees it.
 * Clients are shared per (base URL, token) within the process, so the tracker and the SCM of every
 * project share one cache and one view of the rate limit.
 */
import { Octokit } from '@octokit/rest';
import { AoError, type Clock, type Exec, type Logger } from '@ao/core';
import { prKey, type GraphQlError, type PrRef, type PrResult, type PrStatusData } from './pull-requests.js';
import { createPrPoller, type GitHubBudget, type WebhookChange } from './pr-poller.js';
import { DEFAULT_RETRY_POLICY, isPrimaryLimit, isSecondaryLimit, paceDelay, rateLimitFromHeaders, retryDecision, type RateLimit, type RetryPolicy } from './rate-limit.js';
import { DEFAULT_API_URL, resolveToken, tokenFromEnv, type ResolvedToken, type TokenSource } from './token.js';
import { toAoError } from './errors.js';
import { parseRepo } from './repo.js';

export interface GitHubClientOptions {
  /** A token from the config; else `GITHUB_TOKEN`, `GH_TOKEN`, then `gh auth token`. */
  token?: string;
  /** API base; else `GITHUB_API_URL`, else https://api.github.com. */
  baseUrl?: string;
  /** GraphQL endpoint; else `GITHUB_GRAPHQL_URL`, else derived from the API base (see `graphqlUrlFor`). */
  graphqlUrl?: string;
  env: Readonly<Record<string, string | undefined>>;
  exec: Exec;
  logger: Logger;
  clock: Clock;
  retry?: Partial<RetryPolicy>;
}

export type GitHubHealth = 'ok' | 'degraded';

export interface GitHubClient {
  readonly baseUrl: string;
  /** Where GraphQL queries go: `<base>/graphql`, or `https://HOST/api/graphql` for GitHub Enterprise Server. */
  readonly graphqlUrl: string;
  /** REST, e.g. `client.octokit.rest.issues.get({ owner, repo, issue_number })`. Throws octokit errors: wrap with `toAoError`. */
  readonly octokit: Octokit;
  /** Resolves the token now, throwing `GITHUB_AUTH` with how to provide one; returns where it came from. */
  ensureToken(): Promise<TokenSource>;
  /** One GraphQL query; partial data with `errors` is returned, not thrown. */
  graphql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<{ data: T | null; errors: GraphQlError[] }>;
  /**
   * State, checks, reviews and mergeability of many PRs, within the GraphQL points budget: a cheap
   * change signal per PR (one query per 100 PRs), then the detail of those that changed (one query
   * per 50), then any further pages (checks beyond the 100th, more threads or comments). Unchanged
   * PRs answer from memory. Calls made in the same tick (several projects polling at once) share
   * the queries. PRs GitHub does not have are left out of the map; an unknown repository rejects
   * with `GITHUB_NOT_FOUND`.
   */
  pullRequestsStatus(refs: readonly PrRef[]): Promise<Map<string, PrStatusData>>;
  /** The GraphQL points budget as pull request polling sees it (for `ao daemon status`, `ao doctor`, the dashboard). */
  budget(): GitHubBudget;
  /** A verified GitHub webhook said these PRs changed: read them on the next poll; polling slows down while webhooks flow. */
  noteWebhook(change: WebhookChange): void;
  /** The plain-text log of an Actions job (a check run's `databaseId`). */
  jobLog(repo: string, jobId: number): Promise<string>;
  /** The last rate limit GitHub reported (`core` by default; also `graphql`, …). */
  rateLimit(resource?: string): RateLimit | undefined;
  /** `degraded` after several consecutive failed attempts (5xx, network, rate limits, bad token); `ok` again after a success. */
  health(): GitHubHealth;
  /** The token's classic OAuth scopes, once a response carried `x-oauth-scopes`; undefined for fine-grained tokens. */
  scopes(): string[] | undefined;
  /** Counters since the client was created. */
  stats(): { requests: number; notModified: number; retries: number };
}

/** Consecutive failed attempts after which health is `degraded`. */
export const DEGRADED_AFTER = 3;
/** Cached GET responses kept per client (least recently used dropped first). */
const MAX_CACHE_ENTRIES = 2000;
/** Bodies larger than this are not cached (job logs, big lists): memory over a 304. */
const MAX_CACHED_BODY = 1_000_000;

interface CachedResponse {
  etag: string;
  status: number;
  headers: [string, string][];
  body: string;
}

const RATE_HEADERS = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'x-ratelimit-used', 'x-ratelimit-resource'];

function resourceOf(url: string): string {
  const path = new URL(url).pathname;
  if (path.endsWith('/graphql')) return 'graphql';
  if (/\/search\//.test(path)) return 'search';
  return 'core';
}

/** For logs: the URL without query values that could carry anything sensitive. */
function redactUrl(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search ? '?…' : ''}`;
}

function headerRecord(headers: globalThis.Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

const clients = new Map<string, GitHubClient>();

/** The API base a client for these options talks to. */
export function apiBaseUrl(options: { baseUrl?: string; env: Readonly<Record<string, string | undefined>> }): string {
  return (options.baseUrl ?? options.env.GITHUB_API_URL ?? DEFAULT_API_URL).replace(/\/+$/, '');
}

/**
 * The GraphQL endpoint for an API base: github.com's is `https://api.github.com/graphql`, but
 * GitHub Enterprise Server serves REST at `https://HOST/api/v3` and GraphQL at
 * `https://HOST/api/graphql` (not under `/v3`). `GITHUB_GRAPHQL_URL` or `graphqlUrl` overrides it.
 */
export function graphqlUrlFor(options: { baseUrl?: string; graphqlUrl?: string; env: Readonly<Record<string, string | undefined>> }): string {
  const explicit = options.graphqlUrl ?? options.env.GITHUB_GRAPHQL_URL;
  if (explicit?.trim()) return explicit.trim().replace(/\/+$/, '');
  const base = apiBaseUrl(options);
  const url = new URL(base);
  if (/\/api\/v3$/.test(url.pathname)) return `${url.origin}${url.pathname.replace(/\/v3$/, '')}/graphql`;
  return `${base}/graphql`;
}

/** Tells every client in this process about a webhook (the daemon does not know which client polls that repository). */
export function noteGitHubWebhook(change: WebhookChange): void {
  for (const client of clients.values()) client.noteWebhook(change);
}

/** The budget of every client in this process that has polled pull requests. */
export function githubBudgets(): { baseUrl: string; budget: GitHubBudget }[] {
  return [...clients.values()].map((c) => ({ baseUrl: c.baseUrl, budget: c.budget() })).filter((b) => b.budget.queries > 0);
}

/** The shared client for this base URL and token (created on first use). */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const baseUrl = apiBaseUrl(options);
  const graphqlUrl = graphqlUrlFor(options);
  const direct = tokenFromEnv(options.token, options.env);
  // The key lives in memory only; `gh` stands for "whatever gh says" (resolved lazily).
  const key = `${baseUrl}\u0000${graphqlUrl}\u0000${direct?.token ?? 'gh'}`;
  let client = clients.get(key);
  if (!client) {
    client = buildClient(baseUrl, graphqlUrl, options);
    clients.set(key, client);
  }
  return client;
}

function buildClient(baseUrl: string, graphqlUrl: string, options: GitHubClientOptions): GitHubClient {
  const { clock, logger } = options;
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const cache = new Map<string, CachedResponse>();
  const rates = new Map<string, RateLimit>();
  let lastResource: string | undefined;
  let scopes: string[] | undefined;
  let consecutiveFailures = 0;
  let nextAllowedAt = 0;
  let pacingLogged = false;
  const counters = { requests: 0, notModified: 0, retries: 0 };
  let tokenPromise: Promise<ResolvedToken> | undefined;

  function token(): Promise<ResolvedToken> {
    tokenPromise ??= resolveToken({ ...(options.token ? { token: options.token } : {}), baseUrl, env: options.env, exec: options.exec });
    // A failed lookup (gh not logged in yet) is retried on the next call, not remembered forever.
    tokenPromise.catch(() => {
      tokenPromise = undefined;
    });
    return tokenPromise;
  }

  function observe(headers: globalThis.Headers, url: string): void {
    const rate = rateLimitFromHeaders(headerRecord(headers));
    if (rate) {
      const resource = headers.get('x-ratelimit-resource') ?? resourceOf(url);
      rates.set(resource, rate);
      lastResource = resource;
    }
    const scopeHeader = headers.get('x-oauth-scopes');
    if (scopeHeader !== null) scopes = scopeHeader.split(',').map((s) => s.trim()).filter(Boolean);
  }

  /** Spreads requests out when the budget is low: each waits its turn, `paceDelay` apart. */
  async function pace(url: string): Promise<void> {
    const delay = paceDelay(rates.get(resourceOf(url)), clock.now());
    if (delay <= 0) {
      pacingLogged = false;
      return;
    }
    if (!pacingLogged) {
      pacingLogged = true;
      logger.warn({ resource: resourceOf(url), rateLimit: rates.get(resourceOf(url)), delayMs: delay }, 'GitHub rate limit running low: slowing down until it resets');
    }
    const now = clock.now();
    const start = Math.max(now, nextAllowedAt);
    nextAllowedAt = start + delay;
    if (start + delay - now > 0) await clock.sleep(start + delay - now);
  }

  const aoFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    headers.set('authorization', `token ${(await token()).token}`);
    const cacheKey = method === 'GET' ? `${headers.get('accept') ?? ''} ${url}` : undefined;
    // Re-sending a POST that may have reached GitHub could duplicate it; reads and idempotent writes are safe.
    const safeToResend = method !== 'POST' || resourceOf(url) === 'graphql';
    for (let attempt = 0; ; attempt++) {
      await pace(url);
      const cached = cacheKey ? cache.get(cacheKey) : undefined;
      if (cached) headers.set('if-none-match', cached.etag);
      counters.requests++;
      let response: Response;
      try {
        response = await fetch(url, { ...init, headers });
      } catch (error) {
        consecutiveFailures++;
        const decision = safeToResend ? retryDecision({ status: undefined, headers: {}, message: String(error) }, attempt, clock.now(), policy) : { retry: false as const };
        logger.warn({ method, url: redactUrl(url), attempt, error: String(error) }, 'GitHub request failed (network)');
        if (!decision.retry) throw error;
        counters.retries++;
        await clock.sleep(decision.delayMs);
        continue;
      }
      observe(response.headers, url);
      if (response.status === 304 && cached && cacheKey) {
        consecutiveFailures = 0;
        counters.notModified++;
        cache.delete(cacheKey);
        cache.set(cacheKey, cached);
        const replay = new Headers(cached.headers);
        for (const name of RATE_HEADERS) {
          const value = response.headers.get(name);
          if (value !== null) replay.set(name, value);
        }
        replay.set('x-ao-cache', 'hit');
        return new Response(cached.body, { status: cached.status, headers: replay });
      }
      if (response.ok) {
        consecutiveFailures = 0;
        const etag = response.headers.get('etag');
        const size = Number(response.headers.get('content-length') ?? 0);
        if (!cacheKey || !etag || size > MAX_CACHED_BODY) return response;
        const body = await response.text();
        if (body.length <= MAX_CACHED_BODY) {
          // forEach, not the iterator: the CLI and daemon compile this file without the DOM.Iterable lib.
          const headers: [string, string][] = [];
          response.headers.forEach((value, name) => headers.push([name, value]));
          cache.set(cacheKey, { etag, status: response.status, headers, body });
          if (cache.size > MAX_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
        }
        return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
      }
      const text = await response.text();
      let message = text;
      try {
        message = String((JSON.parse(text) as { message?: unknown }).message ?? text);
      } catch {
        // not JSON: the text is the message
      }
      const failure = { status: response.status, headers: headerRecord(response.headers), message };
      // A 403 for a missing permission says nothing about GitHub's health; one for a rate limit does.
      const limited = isPrimaryLimit(failure) || isSecondaryLimit(failure);
      if (response.status >= 500 || response.status === 401 || response.status === 429 || limited) consecutiveFailures++;
      const decision = retryDecision(failure, attempt, clock.now(), policy);
      if (!decision.retry) return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
      counters.retries++;
      logger.warn({ method, url: redactUrl(url), status: response.status, attempt, reason: decision.reason, delayMs: decision.delayMs }, 'GitHub request failed: retrying');
      await clock.sleep(decision.delayMs);
    }
  };

  const octokit = new Octokit({
    baseUrl,
    userAgent: 'ao-agent-orchestrator',
    request: { fetch: aoFetch },
    log: {
      debug: (message: string) => logger.debug({ component: 'octokit' }, message),
      info: (message: string) => logger.info({ component: 'octokit' }, message),
      warn: (message: string) => logger.warn({ component: 'octokit' }, message),
      error: (message: string) => logger.error({ component: 'octokit' }, message),
    },
  });

  async function graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<{ data: T | null; errors: GraphQlError[] }> {
    // An absolute URL: octokit sends it as is, so GHES's `/api/graphql` is reached from an `/api/v3` base.
    const response = await octokit.request(`POST ${graphqlUrl}`, { query, variables });
    const body = response.data as { data?: T | null; errors?: GraphQlError[] };
    return { data: body.data ?? null, errors: body.errors ?? [] };
  }

  /** One PR query: partial data is fine, but no data at all is an error (the budget spent, a bad query). */
  async function runPrQuery(query: string): Promise<{ data: Record<string, unknown> | null; errors: GraphQlError[] }> {
    const { data, errors } = await graphql<Record<string, unknown>>(query);
    const fatal = errors.filter((e) => e.type !== 'NOT_FOUND');
    if (!data && fatal.length) {
      const limited = fatal.some((e) => e.type === 'RATE_LIMITED');
      throw new AoError(
        limited ? 'GITHUB_RATE_LIMITED' : 'GITHUB_FAILED',
        `GitHub's GraphQL API refused the pull request query (${fatal.map((e) => e.message).join('; ')})${limited ? ': the GraphQL budget is spent until its reset' : ''}.`,
      );
    }
    return { data, errors };
  }

  const poller = createPrPoller({ run: runPrQuery, clock, logger });

  // Calls in the same tick share batches; each caller gets its own refs back (or its own error).
  let pending: { refs: readonly PrRef[]; resolve: (m: Map<string, PrStatusData>) => void; reject: (e: unknown) => void }[] = [];

  async function flush(): Promise<void> {
    const callers = pending;
    pending = [];
    const { results, failures } = await poller.poll(callers.flatMap((c) => c.refs));
    for (const caller of callers) {
      const out = new Map<string, PrStatusData>();
      let failed: unknown;
      for (const ref of caller.refs) {
        const key = prKey(ref);
        const result = results.get(key);
        if (failures.has(key)) failed ??= toAoError(failures.get(key), { what: `reading pull requests of ${ref.repo}`, repo: ref.repo, scopes });
        else if (result instanceof Error) {
          failed ??= toAoError(Object.assign(new Error(result.message), { status: 404, response: { headers: {} } }), {
            what: `reading pull requests of ${ref.repo}`,
            repo: ref.repo,
            scopes,
          });
        } else if (result) out.set(key, result);
      }
      if (failed) caller.reject(failed);
      else caller.resolve(out);
    }
  }

  return {
    baseUrl,
    graphqlUrl,
    octokit,
    async ensureToken() {
      return (await token()).source;
    },
    graphql,
    pullRequestsStatus(refs) {
      for (const ref of refs) parseRepo(ref.repo);
      if (!refs.length) return Promise.resolve(new Map());
      return new Promise((resolve, reject) => {
        if (!pending.length) setImmediate(() => void flush());
        pending.push({ refs, resolve, reject });
      });
    },
    async jobLog(repo, jobId) {
      const { owner, name } = parseRepo(repo);
      try {
        const response = await octokit.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs', { owner, repo: name, job_id: jobId });
        const data: unknown = response.data;
        if (typeof data === 'string') return data;
        if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
        return String(data ?? '');
      } catch (error) {
        throw toAoError(error, { what: `reading the log of job ${jobId} in ${repo}`, repo, scopes });
      }
    },
    rateLimit(resource) {
      const name = resource ?? (rates.has('core') ? 'core' : lastResource);
      return name ? rates.get(name) : undefined;
    },
    budget: () => poller.budget(),
    noteWebhook: (change) => poller.noteWebhook(change),
    health: () => (consecutiveFailures >= DEGRADED_AFTER ? 'degraded' : 'ok'),
    scopes: () => scopes,
    stats: () => ({ ...counters }),
  };
}
