/**
 * Rate-limit bookkeeping and retry decisions, as pure functions of response headers and time, so
 * the client's behaviour under GitHub's limits can be tested without a server.
 */

export interface RateLimit {
  limit: number;
  remaining: number;
  /** Epoch milliseconds when `remaining` is refilled. */
  resetAt: number;
}

export type Headers = Readonly<Record<string, string | number | undefined>>;

/** The primary rate limit from `x-ratelimit-*` headers, or undefined when the response has none. */
export function rateLimitFromHeaders(headers: Headers): RateLimit | undefined {
  const limit = Number(headers['x-ratelimit-limit']);
  const remaining = Number(headers['x-ratelimit-remaining']);
  const reset = Number(headers['x-ratelimit-reset']);
  if (![limit, remaining, reset].every(Number.isFinite) || headers['x-ratelimit-limit'] === undefined) return undefined;
  return { limit, remaining, resetAt: reset * 1000 };
}

/** Below this many remaining requests the client starts spreading requests out until the reset. */
export function lowWaterMark(limit: number): number {
  return Math.min(100, Math.ceil(limit / 10));
}

/** Never pace a single request by more than this; the budget refills, and the lifecycle polls again. */
export const MAX_PACE_MS = 60_000;

/**
 * How long to wait before the next request so the remaining budget lasts until the reset: zero while
 * the budget is healthy, the time to the reset divided by what is left once it runs low, and the
 * whole wait when it is gone.
 */
export function paceDelay(rate: RateLimit | undefined, now: number): number {
  if (!rate || rate.remaining >= lowWaterMark(rate.limit)) return 0;
  const untilReset = rate.resetAt - now;
  if (untilReset <= 0) return 0;
  if (rate.remaining <= 0) return untilReset + 1000;
  return Math.min(MAX_PACE_MS, Math.ceil(untilReset / rate.remaining));
}

export interface FailedAttempt {
  /** HTTP status, or undefined for a network error (no response). */
  status: number | undefined;
  headers: Headers;
  message: string;
}

export type RetryDecision =
  | { retry: true; delayMs: number; reason: 'server-error' | 'network' | 'secondary-limit' | 'rate-limit' }
  | { retry: false };

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** First backoff for 5xx and network errors; doubled per attempt. */
  baseDelayMs: number;
  /** Longest the client waits for a primary rate-limit reset before giving up. */
  maxRateLimitWaitMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 3, baseDelayMs: 1000, maxRateLimitWaitMs: 60 * 60_000 };

/** GitHub asks clients that hit a secondary limit without `retry-after` to wait at least a minute. */
const SECONDARY_DEFAULT_WAIT_MS = 60_000;

export function isSecondaryLimit(failure: FailedAttempt): boolean {
  return (failure.status === 403 || failure.status === 429) && /secondary rate limit|abuse/i.test(failure.message);
}

export function isPrimaryLimit(failure: FailedAttempt): boolean {
  if (failure.status !== 403 && failure.status !== 429) return false;
  return String(failure.headers['x-ratelimit-remaining']) === '0' || /API rate limit exceeded/i.test(failure.message);
}

/** Whether (and after how long) to retry attempt number `attempt` (0-based) that failed like this. */
export function retryDecision(failure: FailedAttempt, attempt: number, now: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): RetryDecision {
  if (attempt >= policy.retries) return { retry: false };
  const retryAfter = Number(failure.headers['retry-after']);
  if (isSecondaryLimit(failure) || ((failure.status === 403 || failure.status === 429) && Number.isFinite(retryAfter) && failure.headers['retry-after'] !== undefined)) {
    const delayMs = Number.isFinite(retryAfter) && failure.headers['retry-after'] !== undefined ? retryAfter * 1000 : SECONDARY_DEFAULT_WAIT_MS * 2 ** attempt;
    return { retry: true, delayMs, reason: 'secondary-limit' };
  }
  if (isPrimaryLimit(failure)) {
    const rate = rateLimitFromHeaders(failure.headers);
    const wait = rate ? Math.max(1000, rate.resetAt - now + 1000) : SECONDARY_DEFAULT_WAIT_MS;
    if (wait > policy.maxRateLimitWaitMs) return { retry: false };
    return { retry: true, delayMs: wait, reason: 'rate-limit' };
  }
  if (failure.status === undefined) return { retry: true, delayMs: policy.baseDelayMs * 2 ** attempt, reason: 'network' };
  if (failure.status >= 500) return { retry: true, delayMs: policy.baseDelayMs * 2 ** attempt, reason: 'server-error' };
  return { retry: false };
}
