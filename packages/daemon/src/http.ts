import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAoError, type ErrorCode } from '@ao/core';

/** Small node:http helpers for the daemon API: JSON bodies, error mapping, token checks. */

export const TOKEN_COOKIE = 'ao_token';
const MAX_BODY_BYTES = 1024 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, status, { error: { code, message } });
}

/** HTTP status for an AoError code: not-found → 404, bad input → 400, wrong state → 409, else 500. */
export function statusForCode(code: ErrorCode | string): number {
  if (code.endsWith('_NOT_FOUND')) return 404;
  if (code === 'USAGE' || code.startsWith('CONFIG_') || code === 'TEMPLATE_INVALID' || code === 'ENV_VAR_UNSET') return 400;
  if (code === 'SESSION_STATE' || code === 'SESSION_BUSY' || code === 'SESSION_LIMIT' || code === 'QUEUE_FULL' || code === 'LOCK_TIMEOUT' || code === 'PR_STATE' || code === 'ANSWER_NOT_IN_MENU') return 409;
  return 500;
}

export function sendThrown(res: ServerResponse, error: unknown): void {
  if (isAoError(error)) {
    sendError(res, statusForCode(error.code), error.code, error.message);
    return;
  }
  sendError(res, 500, 'INTERNAL', error instanceof Error ? error.message : String(error));
}

/** A 400 with code USAGE, thrown by route handlers for bad input. */
export class BadRequest extends Error {}

export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BadRequest('Request body is larger than 1 MiB');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BadRequest(`Request body is not JSON: ${(error as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new BadRequest('Request body must be a JSON object');
  return value as Record<string, unknown>;
}

/** Optional string field of a body; anything else is a 400. */
export function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') throw new BadRequest(`"${key}" must be a string`);
  return v;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Constant-time comparison (hashing first makes the lengths equal, so length leaks nothing either). */
export function tokenMatches(given: string | undefined, token: string): boolean {
  if (!given) return false;
  return timingSafeEqual(digest(given), digest(token));
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * Checks the token from `Authorization: Bearer`, `?token=` or the `ao_token` cookie. A valid
 * `?token=` also returns the Set-Cookie header, so a browser opened on the printed URL keeps
 * working on later requests without the token in every link.
 */
export function authorize(req: IncomingMessage, url: URL, token: string): { ok: boolean; setCookie?: string } {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ') && tokenMatches(auth.slice('Bearer '.length).trim(), token)) return { ok: true };
  const query = url.searchParams.get('token') ?? undefined;
  if (query !== undefined && tokenMatches(query, token)) {
    return { ok: true, setCookie: `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/` };
  }
  if (tokenMatches(cookieValue(req.headers.cookie, TOKEN_COOKIE), token)) return { ok: true };
  return { ok: false };
}
