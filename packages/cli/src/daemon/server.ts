import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { describeError, type Logger } from '@ao/core';
import { authorize, BadRequest, sendError, sendThrown } from './http.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

export interface DaemonServerOptions {
  token: string;
  logger: Logger;
  /** Tried in order after the token check; the first that returns true handled the request. */
  handlers: RouteHandler[];
  /** HTTP upgrades (the dashboard's terminal WebSocket), after the same token check; false → 404. */
  upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => boolean;
}

/** A plain HTTP answer on a socket that asked to upgrade, then close it. */
function refuseUpgrade(socket: Duplex, status: number, reason: string, message: string): void {
  const body = JSON.stringify({ error: { code: reason.toUpperCase().replace(/ /g, '_'), message } });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/**
 * The daemon's HTTP server (node:http, no framework). Every request — API, SSE, terminals —
 * must carry the token; nothing is served before that check.
 */
export function createDaemonServer(options: DaemonServerOptions): Server {
  const { token, logger, handlers } = options;
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const auth = authorize(req, url, token);
      if (!auth.ok) {
        sendError(res, 401, 'UNAUTHORIZED', 'Missing or wrong token: send `Authorization: Bearer <token>` (the token is in $AO_HOME/daemon.token), or open the URL `ao start` printed');
        return;
      }
      if (auth.setCookie) res.setHeader('set-cookie', auth.setCookie);
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
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!authorize(req, url, token).ok) {
      refuseUpgrade(socket, 401, 'Unauthorized', 'Missing or wrong token: open the URL `ao dashboard` prints, or send `Authorization: Bearer <token>`');
      return;
    }
    try {
      if (options.upgrade?.(req, socket, head, url)) return;
    } catch (error) {
      logger.warn({ path: url.pathname, err: describeError(error) }, 'upgrade failed');
    }
    refuseUpgrade(socket, 404, 'Not Found', `No WebSocket at ${url.pathname}`);
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
