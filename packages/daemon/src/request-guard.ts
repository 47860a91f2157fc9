import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';

/**
 * Checks every request and WebSocket upgrade gets before anything else, in one place
 * (`createDaemonServer`), against two browser attacks the token alone does not stop (the one
 * exemption, a `SignedRoute` such as `POST /webhooks/github`, authenticates by an HMAC signature
 * over the body and refuses any request with an Origin; see server.ts):
 *
 * - DNS rebinding: a page on `evil.example` whose name now resolves to 127.0.0.1 talks to the
 *   daemon as "its own" origin. The `Host` it sends is `evil.example`: only our names pass.
 * - Cross-site requests: the `ao_token` cookie is SameSite=Strict, but every port of 127.0.0.1 is
 *   the same *site*, so a page served on any other local port gets the cookie attached. Such a
 *   page's `Origin` is not ours, and the simple requests it may send without a CORS preflight can
 *   not carry `Content-Type: application/json`: mutations require both.
 */

export interface Refusal {
  status: number;
  reason: string;
  code: string;
  message: string;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** `::1` → `[::1]`, as a URL's hostname spells it; names lower-cased. */
const urlHostname = (host: string): string => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host).toLowerCase();

/**
 * The host names a request may be addressed to: the loopback names, the configured
 * `dashboard.host`, and — when that is a wildcard (0.0.0.0, ::) — this machine's own interface
 * addresses and host name, which a rebinding page cannot claim.
 */
export function allowedHostnames(configuredHost: string): Set<string> {
  const names = new Set([...LOOPBACK_NAMES, urlHostname(configuredHost)]);
  if (configuredHost === '0.0.0.0' || configuredHost === '::' || configuredHost === '') {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(urlHostname(a.address.replace(/%.*$/, '')));
    names.add(hostname().toLowerCase());
  }
  return names;
}

/** `host[:port]` from a Host header or an origin, as hostname and port (80 when absent). */
function parseAuthority(authority: string): { hostname: string; port: number } | undefined {
  try {
    const url = new URL(`http://${authority}`);
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return undefined;
    return { hostname: url.hostname.toLowerCase(), port: url.port ? Number(url.port) : 80 };
  } catch {
    return undefined;
  }
}

export interface RequestGuard {
  /** Host and Origin: for every request and every upgrade. */
  checkAddress(req: IncomingMessage): Refusal | undefined;
  /** Content-Type of a mutating request (after the token check). */
  checkBody(req: IncomingMessage): Refusal | undefined;
}

/** `port()` is the port the server listens on (known only after `listen`). */
export function createRequestGuard(options: { hostnames: Set<string>; port: () => number | undefined }): RequestGuard {
  const ours = (authority: { hostname: string; port: number } | undefined): boolean =>
    authority !== undefined && options.hostnames.has(authority.hostname) && authority.port === options.port();
  return {
    checkAddress(req) {
      const host = req.headers.host;
      if (!host || !ours(parseAuthority(host))) {
        return {
          status: 421,
          reason: 'Misdirected Request',
          code: 'HOST_NOT_ALLOWED',
          message: `This ao daemon does not answer to Host ${JSON.stringify(host ?? '')}: use http://127.0.0.1:${options.port() ?? '<port>'} (or localhost), or the dashboard.host of the config`,
        };
      }
      const origin = req.headers.origin;
      if (origin !== undefined) {
        const allowed = /^http:\/\/[^/]+$/i.test(origin) && ours(parseAuthority(origin.slice('http://'.length)));
        if (!allowed) {
          return {
            status: 403,
            reason: 'Forbidden',
            code: 'ORIGIN_NOT_ALLOWED',
            message: `Requests from ${origin} are refused: only the dashboard's own pages may call this daemon from a browser`,
          };
        }
      }
      return undefined;
    },
    checkBody(req) {
      if (!MUTATING.has((req.method ?? 'GET').toUpperCase())) return undefined;
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (type === 'application/json') return undefined;
      return {
        status: 415,
        reason: 'Unsupported Media Type',
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: `${req.method ?? 'POST'} needs \`Content-Type: application/json\` (a JSON body, \`{}\` when there is nothing to say)`,
      };
    },
  };
}
