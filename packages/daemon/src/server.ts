import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { AoError, describeError, isAoError, sendError, sendThrown, statusForCode, type Logger } from '@ao/core';
import { authorize } from './http.js';
import { allowedHostnames, createRequestGuard } from './request-guard.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

/**
 * Bounds on slow and idle clients, so a few trickling sockets cannot hold the server: a request
 * must send its headers within `headersTimeoutMs` and all of itself within `requestTimeoutMs`
 * (a response, e.g. the event stream, may last), an idle keep-alive connection is closed after
 * `keepAliveTimeoutMs`, and beyond `maxConnections` open sockets new ones are closed at once.
 */
export interface ServerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxConnections: 256 };

const LIMIT_ENV: Record<keyof ServerLimits, string> = {
  headersTimeoutMs: 'AO_DAEMON_HEADERS_TIMEOUT_MS',
  requestTimeoutMs: 'AO_DAEMON_REQUEST_TIMEOUT_MS',
  keepAliveTimeoutMs: 'AO_DAEMON_KEEPALIVE_TIMEOUT_MS',
  maxConnections: 'AO_DAEMON_MAX_CONNECTIONS',
};

/** The limits, each overridable by its `AO_DAEMON_*` variable (see docs/daemon.md). */
export function serverLimitsFromEnv(env: NodeJS.ProcessEnv): ServerLimits {
  const limits = { ...DEFAULT_SERVER_LIMITS };
  for (const key of Object.keys(LIMIT_ENV) as (keyof ServerLimits)[]) {
    const raw = env[LIMIT_ENV[key]];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) throw new AoError('CONFIG_INVALID', `${LIMIT_ENV[key]}=${raw} is not a positive integer: unset it, or give one (default ${DEFAULT_SERVER_LIMITS[key]})`);
    limits[key] = value;
  }
  // node:http refuses a headers timeout longer than the request timeout.
  limits.requestTimeoutMs = Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs);
  return limits;
}

/**
 * A route that authenticates each request itself, by a signature over its body, instead of by
 * the daemon's token: the one way past the token, Host and Origin checks, for callers that cannot
 * hold the token or name our host (GitHub's webhooks, through a tunnel). It matches one method and
 * one exact path, nothing under it; its handler must refuse anything unsigned before acting. The
 * only one today is `POST /webhooks/github` (github-webhook.ts, HMAC SHA-256).
 */
export interface SignedRoute {
  method: 'POST';
  path: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** What `GET /api/status` says about it. */
  status(): unknown;
}

export interface DaemonServerOptions {
  token: string;
  logger: Logger;
  /** `dashboard.host` as configured: with the loopback names, the only Host the server answers to. */
  host: string;
  limits?: ServerLimits;
  /** Tried in order after the token check; the first that returns true handled the request. */
  handlers: RouteHandler[];
  /** Routes exempt from the token, Host and Origin checks because they check a signature instead (see `SignedRoute`). */
  signedRoutes?: SignedRoute[];
  /** HTTP upgrades (the dashboard's terminal WebSocket), after the same checks; false → 404. */
  upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => boolean;
}

/** A plain HTTP answer on a socket that asked to upgrade, then close it. */
function refuseUpgrade(socket: Duplex, status: number, reason: string, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

const UNAUTHORIZED = 'Missing or wrong token: send `Authorization: Bearer <token>` (the token is in $AO_HOME/daemon.token), or open the URL `ao start` printed';

/**
 * The daemon's HTTP server (node:http, no framework). Every request and upgrade — API, SSE,
 * terminals, pages — passes the same checks here, in this order, before any route runs: a Host
 * of ours (421), an Origin of ours when one is sent (403), the token (401), and for a mutation
 * `Content-Type: application/json` (415). See request-guard.ts for why. The one exemption is a
 * `SignedRoute` (exact method and path), which authenticates by a signature over the body.
 */
export function createDaemonServer(options: DaemonServerOptions): Server {
  const { token, logger, handlers } = options;
  const limits = options.limits ?? DEFAULT_SERVER_LIMITS;
  const guard = createRequestGuard({
    hostnames: allowedHostnames(options.host),
    port: () => {
      const address = server.address();
      return typeof address === 'object' && address ? address.port : undefined;
    },
  });
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How often expired requests are looked for (node's default, 30 s, would let a slow socket
      // outlive its timeout by that much).
      connectionsCheckingInterval: Math.min(1_000, Math.max(25, Math.floor(limits.headersTimeoutMs / 4))),
    },
    (req, res) => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const signed = options.signedRoutes?.find((r) => r.method === req.method && r.path === url.pathname);
        if (signed) {
          try {
            await signed.handle(req, res);
          } catch (error) {
            logger.warn({ method: req.method, path: url.pathname, err: describeError(error) }, 'request failed');
            if (!res.headersSent) sendThrown(res, error);
          }
          return;
        }
        const address = guard.checkAddress(req);
        if (address) {
          logger.warn({ method: req.method, path: url.pathname, host: req.headers.host, origin: req.headers.origin, code: address.code }, 'request refused');
          sendError(res, address.status, address.code, address.message);
          return;
        }
        const auth = authorize(req, url, token);
        if (!auth.ok) {
          sendError(res, 401, 'UNAUTHORIZED', UNAUTHORIZED);
          return;
        }
        if (auth.setCookie) res.setHeader('set-cookie', auth.setCookie);
        const body = guard.checkBody(req);
        if (body) {
          sendError(res, body.status, body.code, body.message);
          return;
        }
        try {
          for (const handle of handlers) {
            if (await handle(req, res, url)) return;
          }
          sendError(res, 404, 'NOT_FOUND', `No route ${req.method ?? 'GET'} ${url.pathname}`);
        } catch (error) {
          // Only a plugin route not written with core's router throws here (routers answer their own errors).
          if (!isAoError(error) || statusForCode(error.code) >= 500) logger.warn({ method: req.method, path: url.pathname, err: describeError(error) }, 'request failed');
          sendThrown(res, error);
        }
      })();
    },
  );
  server.maxConnections = limits.maxConnections;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    const address = guard.checkAddress(req);
    if (address) {
      logger.warn({ path: url.pathname, host: req.headers.host, origin: req.headers.origin, code: address.code }, 'upgrade refused');
      refuseUpgrade(socket, address.status, address.reason, address.code, address.message);
      return;
    }
    if (!authorize(req, url, token).ok) {
      refuseUpgrade(socket, 401, 'Unauthorized', 'UNAUTHORIZED', 'Missing or wrong token: open the URL `ao dashboard` prints, or send `Authorization: Bearer <token>`');
      return;
    }
    try {
      if (options.upgrade?.(req, socket, head, url)) return;
    } catch (error) {
      logger.warn({ path: url.pathname, err: describeError(error) }, 'upgrade failed');
    }
    refuseUpgrade(socket, 404, 'Not Found', 'NOT_FOUND', `No WebSocket at ${url.pathname}`);
  });
  return server;
}

/** Listens and resolves with the bound port (port 0 picks a free one). */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Stops accepting, ends open streams (SSE) and resolves once the server is closed. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    server.closeAllConnections();
  });
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.') || host === '[::1]';
}
