/** Turning octokit's errors into `AoError`s whose message says what to do. Tokens never appear in them. */
import { AoError, isAoError, type ErrorCode } from '@ao/core';
import { isPrimaryLimit, isSecondaryLimit } from './rate-limit.js';

/** The parts of octokit's `RequestError` we read (duck-typed: a second copy of octokit may throw it). */
export interface HttpErrorLike {
  status: number;
  message: string;
  response?: { headers: Record<string, string | number | undefined>; data?: unknown };
}

export function isHttpError(error: unknown): error is HttpErrorLike {
  return error instanceof Error && typeof (error as { status?: unknown }).status === 'number';
}

/** The HTTP status of a failed call, or undefined when it never got a response (network error). */
export function httpStatus(error: unknown): number | undefined {
  if (!isHttpError(error)) return undefined;
  return error.response ? error.status : undefined;
}

function messageOf(error: HttpErrorLike): string {
  const data = error.response?.data;
  if (data && typeof data === 'object' && typeof (data as { message?: unknown }).message === 'string') return (data as { message: string }).message;
  return error.message.replace(/ - https:\/\/docs\.github\.com\S*$/, '');
}

export interface ErrorContext {
  /** What we were doing, for the message: `reading issue #12 of octo/app`. */
  what: string;
  /** The token's classic scopes (`x-oauth-scopes`), when GitHub told us. */
  scopes?: readonly string[] | undefined;
  /** The repository involved, so a 404 can say it may be private. */
  repo?: string;
}

function scopeHint(scopes: readonly string[] | undefined): string {
  if (scopes === undefined) return 'make sure the token can access this repository (fine-grained tokens: add it, with Contents, Issues and Pull requests permissions)';
  if (scopes.includes('repo')) return 'the token has the "repo" scope, so check the name and that its owner gave you access';
  return `the token's scopes are ${scopes.length ? scopes.join(', ') : '(none)'}: private repositories need the "repo" scope (create a token with it, or \`gh auth refresh -s repo\`)`;
}

/** Wraps any failure of a GitHub call in an `AoError`; `AoError`s pass through. */
export function toAoError(error: unknown, context: ErrorContext, overrides: Partial<Record<number, ErrorCode>> = {}): AoError {
  if (isAoError(error)) return error;
  // octokit wraps whatever its fetch throws (our own AoError for a missing token, too).
  if (error instanceof Error && isAoError(error.cause)) return error.cause;
  if (!isHttpError(error) || !error.response) {
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    return new AoError('GITHUB_FAILED', `GitHub could not be reached while ${context.what} (${cause}); ao retried with backoff: check your network, or https://www.githubstatus.com.`, {
      cause: error,
    });
  }
  const status = error.status;
  const message = messageOf(error);
  const details = { status, ...(context.repo ? { repo: context.repo } : {}) };
  const headers = error.response.headers;
  const failure = { status, headers, message };
  const code = overrides[status];
  if (code) return new AoError(code, `GitHub: ${message} while ${context.what}.`, { cause: error, details });
  if (status === 401) {
    return new AoError('GITHUB_AUTH', `GitHub rejected the token (${message}) while ${context.what}: set GITHUB_TOKEN to a valid token, or run \`gh auth login\`.`, {
      cause: error,
      details,
    });
  }
  if (isPrimaryLimit(failure) || isSecondaryLimit(failure)) {
    const reset = Number(headers['x-ratelimit-reset']);
    const when = Number.isFinite(reset) && reset > 0 ? ` It resets at ${new Date(reset * 1000).toISOString()}.` : '';
    return new AoError('GITHUB_RATE_LIMITED', `GitHub rate limit hit while ${context.what} (${message}); ao waited and retried.${when} Fewer sessions or a longer poll interval use less.`, {
      cause: error,
      details,
    });
  }
  if (status === 403) {
    return new AoError('GITHUB_AUTH', `GitHub refused ${context.what} (${message}): ${scopeHint(context.scopes)}.`, { cause: error, details });
  }
  if (status === 404) {
    return new AoError('GITHUB_NOT_FOUND', `GitHub found nothing while ${context.what}${context.repo ? ` (is ${context.repo} right?)` : ''}: ${scopeHint(context.scopes)}.`, {
      cause: error,
      details,
    });
  }
  if (status >= 500) {
    return new AoError('GITHUB_FAILED', `GitHub failed (${status} ${message}) while ${context.what}; ao retried with backoff. Try again later, or see https://www.githubstatus.com.`, {
      cause: error,
      details,
    });
  }
  return new AoError('GITHUB_FAILED', `GitHub answered ${status} (${message}) while ${context.what}.`, { cause: error, details });
}
