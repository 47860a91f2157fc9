/**
 * @ao/web, server side: what the ao daemon mounts to serve the dashboard. The daemon owns the
 * HTTP server and the token check; this package adds the browser app (static files), a few
 * read-only routes the app needs, and the WebSocket terminal on the same port.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AoPaths, Logger, ResolvedConfig, SessionManager, SessionStore } from '@ao/core';
import { createDashboardRoutes } from './routes.js';
import { createStaticHandler, defaultClientDir } from './static.js';
import { createTerminalServer } from './terminal.js';

export { createMetrics, prometheusText, summarize, foldSessionMetrics, type DashboardMetrics, type Summary } from './metrics.js';
export { diffStat, fullDiff, type DiffStat, type FullDiff, type PrDetail } from './routes.js';

export interface DashboardDeps {
  config: ResolvedConfig;
  manager: SessionManager;
  store: SessionStore;
  /** The data dir: plans are read from its plan store. */
  paths: AoPaths;
  logger: Logger;
  /** Where the built app is; default: `dist/client` of this package. */
  clientDir?: string;
}

export interface Dashboard {
  /** A daemon route handler (after the token check): app files, `/metrics`, dashboard-only API routes. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  /** An HTTP upgrade (after the token check): the terminal WebSocket. False when the path is not ours. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean;
  /** Detaches open terminals. */
  close(): void;
}

export function createDashboard(deps: DashboardDeps): Dashboard {
  const routes = createDashboardRoutes(deps);
  const files = createStaticHandler(deps.clientDir ?? defaultClientDir());
  const terminals = createTerminalServer({ manager: deps.manager, logger: deps.logger.child({ component: 'web-terminal' }) });
  return {
    async handle(req, res, url) {
      return (await routes.handle(req, res, url)) || (await files(req, res, url));
    },
    upgrade: (req, socket, head, url) => terminals.upgrade(req, socket, head, url),
    close: () => terminals.close(),
  };
}
