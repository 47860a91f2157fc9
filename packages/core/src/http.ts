/**
 * The one outgoing-HTTP helper of ao: POST a JSON body, with a timeout, retries and backoff.
 * Notifiers (webhook, slack) use it; anything else that posts to a user-configured URL should too,
 * so the retry policy and the "never leak the URL's secret" rule live in one place.
 */
import { z } from 'zod';
import type { Clock, Logger } from './contracts/plugin.js';
import { AoError, describeError, type ErrorCode } from './errors.js';

export interface PostJsonOptions {
  /** The JSON text to send, serialised by the caller so it can sign exactly these bytes. */
  body: string;
  /** Extra request headers. `content-type: application/json` is always set. */
  headers?: Readonly<Record<string, string>>;
  /** Attempts after the first one; `3` means at most 4 requests. Default 3. */
  retries?: number;
  /** Per-attempt deadline (connect + response + body) in ms. Default 5000. */
  timeoutMs?: number;
  /** First backoff in ms; doubles on each retry (500, 1000, 2000…). Default 500. */
  backoffMs?: number;
  /** Upper bound for any wait, including a server's `Retry-After`. Default 30000. */
  maxDelayMs?: number;
  /** Backoff waits go through the clock so tests can run them instantly. */
  clock: Clock;
  /** Retries are logged at `warn` with the host only — never the full URL or headers. */
  logger?: Logger;
  /** Code of the `AoError` thrown after the last failure. Default `NOTIFY_FAILED`. */
  errorCode?: ErrorCode;
  /** What is being delivered, for the error message (`"Webhook notification"`). Default `"Request"`. */
  what?: string;
}

export interface PostJsonResult {
  status: number;
  /** The response body as text (first 64 KiB). */
  body: string;
  /** How many requests were made, 1 when the first succeeded. */
  attempts: number;
}

const MAX_RESPONSE_CHARS = 64 * 1024;

/** Config schema for a URL ao will POST to: absolute, `http:` or `https:` only. */
export const HttpUrlSchema = z.string().refine(
  (value) => {
    try {
      return /^https?:$/.test(new URL(value).protocol);
    } catch {
      return false;
    }
  },
  { message: 'must be an absolute http:// or https:// URL' },
);

/** The part of a URL that is safe to show: `hooks.slack.com`, never the path or query with tokens. */
export function safeHost(url: string): string {
  try {
    return new URL(url).host || '(no host)';
  } catch {
    return '(invalid URL)';
  }
}

/**
 * `Retry-After` as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); `undefined`
 * when absent or unparseable, so the caller falls back to its own backoff.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** 429 and 5xx mean "try again later"; other statuses will not change on a retry. */
function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

type Attempt =
  | { kind: 'ok'; status: number; body: string }
  | { kind: 'status'; status: number; body: string; retryAfterMs?: number }
  | { kind: 'network'; reason: string; cause: unknown };

async function attemptOnce(url: string, body: string, headers: Headers, timeoutMs: number, now: number): Promise<Attempt> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body,
      signal: controller.signal,
      // A redirect would re-send (or drop) a signed body somewhere the user did not configure.
      redirect: 'manual',
    });
    const text = (await response.text()).slice(0, MAX_RESPONSE_CHARS);
    if (response.status >= 200 && response.status < 300) return { kind: 'ok', status: response.status, body: text };
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now);
    return { kind: 'status', status: response.status, body: text, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  } catch (error) {
    if (controller.signal.aborted) return { kind: 'network', reason: `timed out after ${timeoutMs} ms`, cause: error };
    return { kind: 'network', reason: networkReason(error, url), cause: error };
  } finally {
    clearTimeout(timer);
  }
}

/** undici reports `fetch failed` with the useful part (`ECONNREFUSED`…) in `cause`. */
function networkReason(error: unknown, url: string): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 3; depth++) {
    parts.push(current.message);
    current = (current as { cause?: unknown }).cause;
  }
  const text = parts.filter(Boolean).join(': ') || String(error);
  // Belt and braces: never let the full URL (with its token) into a message.
  return text.split(url).join(safeHost(url));
}

/** A short, single-line excerpt of a response body for error messages (Slack says `invalid_payload`). */
function excerpt(body: string): string {
  const line = body.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/**
 * POSTs `options.body` to `url`. Resolves on a 2xx response. Retries with exponential backoff on
 * network errors, timeouts, 429 and 5xx (a `Retry-After` header replaces the backoff, capped at
 * `maxDelayMs`); other statuses fail at once. After the last failure rejects with
 * `AoError(errorCode)` whose message names the host and the last status or network error — never
 * the full URL, which often carries a token.
 */
export async function postJson(url: string, options: PostJsonOptions): Promise<PostJsonResult> {
  const retries = Math.max(0, Math.floor(options.retries ?? 3));
  const timeoutMs = options.timeoutMs ?? 5000;
  const backoffMs = options.backoffMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const host = safeHost(url);
  const what = options.what ?? 'Request';
  const fail = (detail: string, attempts: number, extra: Record<string, unknown>, cause?: unknown): AoError =>
    new AoError(options.errorCode ?? 'NOTIFY_FAILED', `${what} to ${host} failed ${detail}.`, {
      details: { host, attempts, ...extra },
      ...(cause === undefined ? {} : { cause }),
    });

  let headers: Headers;
  try {
    // Built once, before the first attempt: a malformed header is a configuration error, not
    // something a retry could fix.
    headers = new Headers({ ...options.headers, 'content-type': 'application/json' });
  } catch (error) {
    throw fail(`before sending: invalid request header (${describeError(error)}); check the configured headers`, 0, {}, error);
  }

  for (let attempt = 1; ; attempt++) {
    const result = await attemptOnce(url, options.body, headers, timeoutMs, options.clock.now());
    if (result.kind === 'ok') return { status: result.status, body: result.body, attempts: attempt };

    const last = attempt > retries;
    if (result.kind === 'status') {
      const detail = `HTTP ${result.status}${result.body ? ` (${excerpt(result.body)})` : ''}`;
      if (!isRetryableStatus(result.status)) {
        const hint = result.status >= 300 && result.status < 400 ? '; configure the final URL, redirects are not followed' : '';
        throw fail(`with ${detail}${hint}`, attempt, { status: result.status });
      }
      if (last) throw fail(`with ${detail} after ${attempt} attempts`, attempt, { status: result.status });
    } else if (last) {
      throw fail(`after ${attempt} attempts: ${result.reason}`, attempt, {}, result.cause);
    }

    const backoff = backoffMs * 2 ** (attempt - 1);
    const delay = Math.min(maxDelayMs, result.kind === 'status' && result.retryAfterMs !== undefined ? result.retryAfterMs : backoff);
    options.logger?.warn(
      { host, attempt, delayMs: delay, ...(result.kind === 'status' ? { status: result.status } : { error: result.reason }) },
      `${what} to ${host} failed, retrying`,
    );
    await options.clock.sleep(delay);
  }
}
