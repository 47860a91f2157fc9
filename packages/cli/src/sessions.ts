import { createFileLogger, createPluginHost, createSessionManager, createSessionStore, exec, systemClock, type Logger, type PluginHost, type SessionManager, type SessionStore } from '@ao/core';
import { aoWorkerMcpServers } from '@ao/daemon/client';
import { loadCliContext, type CliContext, type GlobalOptions } from './context.js';

export interface SessionCli extends CliContext {
  store: SessionStore;
  manager: SessionManager;
  /** The plugins of a project or a session (the manager composes the same host). */
  plugins: PluginHost;
  logger: Logger;
}

/** Config, store, the plugin host and the SessionManager: what every session command needs. */
export async function loadSessions(globals: GlobalOptions): Promise<SessionCli> {
  const ctx = await loadCliContext(globals);
  const store = createSessionStore(ctx.paths);
  const logger = createFileLogger(ctx.paths.logs).child({ cmd: process.argv[2] });
  const host = { config: ctx.config, registry: ctx.registry, paths: ctx.paths, logger, clock: systemClock, exec, env: ctx.env };
  const plugins = createPluginHost(host);
  // Every worker's agent gets this ao's messaging tools (`ao mcp --worker`), however it was spawned.
  const manager = createSessionManager({ ...host, store, plugins, workerMcpServers: aoWorkerMcpServers(ctx.config.file, ctx.env) });
  return { ...ctx, store, manager, plugins, logger };
}

/** "3m", "2h", "5d" since an ISO time. */
export function age(isoTime: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(isoTime)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
