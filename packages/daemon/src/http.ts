import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The daemon's token checks (JSON bodies, errors and routing are core's router: http-router.ts). */

export const TOKEN_COOKIE = 'ao_token';

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
