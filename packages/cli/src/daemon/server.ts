import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { describeError, type Logger } from '@ao/core';
import { authorize, BadRequest, sendError, sendThrown } from './http.js';
import { allowedHostnames, createRequestGuard } from './request-guard.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

export interface DaemonServerOptions {
  token: string;
  logger: Logger;
  /** `dashboard.host` as configured: with the loopback names, the only Host the server answers to. */
  host: string;
  /** Tried in order after the token check; the first that returns true handled the request. */
  handlers: RouteHandler[];
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
 * `Content-Type: application/json` (415). See request-guard.ts for why.
 */
export function createDaemonServer(options: DaemonServerOptions): Server {
  const { token, logger, handlers } = options;
  const guard = createRequestGuard({
    hostnames: allowedHostnames(options.host),
    port: () => {
      const address = server.address();
      return typeof address === 'object' && address ? address.port : undefined;
    },
  });
  const server = createServer(
    (req, res) => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://localhost');
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
          if (error instanceof BadRequest) {
            sendError(res, 400, 'USAGE', error.message);
            return;
          }
          logger.warn({ method: req.method, path: url.pathname, err: describeError(error) }, 'request failed');
          sendThrown(res, error);
        }
      })();
    },
  );
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
