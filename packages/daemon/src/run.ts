import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  AoError,
  createFileLogger,
  daemonFiles,
  describeError,
  exec,
  flushLogs,
  processStartTime,
  withFileLock,
  type AoPaths,
  type DaemonInfo,
  type Logger,
  type PluginRegistry,
  type ResolvedConfig,
  type SessionManager,
  type SessionStore,
} from '@ao/core';
import { createEventHub } from './events.js';
import { daemonState, ensureToken, removeDaemonInfo, writeDaemonInfo } from './files.js';
import { createLifecycleHost } from './lifecycle-host.js';
import { ensureOrchestrator, type OrchestratorState } from './orchestrator.js';
import { configurePlugins } from './plugin-services.js';
import { createGitHubWebhookRoute, WEBHOOK_SECRET_ENV } from './github-webhook.js';
import { createApiRoutes } from './routes.js';
import { closeServer, createDaemonServer, isLoopback, listen, serverLimitsFromEnv, type RouteHandler } from './server.js';

/** What the daemon hosts: the loaded config and plugins, the data dir, and the session layer on them. */
export interface DaemonContext {
  config: ResolvedConfig;
  registry: PluginRegistry;
  paths: AoPaths;
  env: NodeJS.ProcessEnv;
  /** The directory `ao start` ran in: the orchestrator's project is picked from it. */
  cwd: string;
  store: SessionStore;
  manager: SessionManager;
}

/**
 * Something mounted behind the token check after the API and the plugins' routes: the dashboard
 * (`@ao/web`'s `createDashboard`), passed in by whoever starts the daemon so that the daemon does
 * not depend on the app it serves.
 */
export interface DaemonMount {
  handle: RouteHandler;
  /** An HTTP upgrade; false when the path is not this mount's. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean;
  close(): void;
}

export interface RunDaemonOptions {
  /** False for `--no-orchestrator`. */
  orchestrator: boolean;
  /** The ao version, reported by /health and daemon.json. */
  version: string;
  dashboard?: (deps: { config: ResolvedConfig; manager: SessionManager; store: SessionStore; paths: AoPaths; logger: Logger }) => DaemonMount;
  /** Stops the daemon when aborted, as SIGTERM or SIGINT do (for a host that embeds it, and tests). */
  signal?: AbortSignal;
}

// The daemon's own progress lines: its stdout and stderr are daemon.log when `ao start` spawned it.
const print = (text: string): void => void process.stdout.write(`${text}\n`);
const printErr = (text: string): void => void process.stderr.write(`${text}\n`);

/**
 * `ao start --foreground`: the daemon itself. Listens on `dashboard.host:port`, hosts the
 * lifecycle loop and what plugins add through `configureDaemon` (the process runtime's pty
 * terminals), writes `daemon.json` once it answers, and on SIGTERM or SIGINT stops the loop,
 * closes the server, ends the plugins' services and removes its files. Sessions are never touched.
 */
export async function runDaemon(cli: DaemonContext, options: RunDaemonOptions): Promise<number> {
  const { config, paths, manager, store } = cli;
  const { version } = options;
  const logger = createFileLogger(paths.logs).child({ cmd: 'daemon', daemon: process.pid });

  const token = ensureToken(paths);
  const startedAt = new Date();

  const lifecycle = await createLifecycleHost({ config, manager, store, paths, logger });
  const events = createEventHub({ paths, store, logger });
  // Routes, WebSockets and services of plugins (configureDaemon), mounted without naming any.
  const plugins = await configurePlugins({ registry: cli.registry, paths, logger, exec, env: cli.env, configDir: config.dir });

  let orchestrator: OrchestratorState = options.orchestrator
    ? config.orchestrator.enabled
      ? { state: 'starting' }
      : { state: 'disabled', reason: 'orchestrator.enabled is false in the config' }
    : { state: 'disabled', reason: '--no-orchestrator' };

  const { host } = config.dashboard;
  let info: DaemonInfo | undefined;
  // GitHub's deliveries make the affected sessions poll now (off without AO_GITHUB_WEBHOOK_SECRET).
  const githubWebhook = await createGitHubWebhookRoute({ secret: process.env[WEBHOOK_SECRET_ENV], trigger: (reason) => lifecycle.trigger(reason), logger });
  const { githubBudgets } = await import('@ao/github');
  const api = createApiRoutes(
    {
      manager,
      config,
      store,
      lifecycle,
      approvals: lifecycle.approvals,
      events,
      cwd: cli.cwd,
      health: () => ({ ok: true, pid: process.pid, version }),
      status: async () => {
        const { sessions } = await manager.list({ refresh: false });
        const byStatus: Record<string, number> = {};
        for (const s of sessions) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
        return {
          running: true,
          ...info,
          uptimeMs: Date.now() - startedAt.getTime(),
          configFile: config.file,
          lifecycle: lifecycle.status(),
          orchestrator,
          sessions: { total: sessions.length, byStatus },
          github: { budgets: githubBudgets(), webhooks: githubWebhook.status() },
        };
      },
    },
    { onError: (error, req, url) => logger.warn({ method: req.method, path: url.pathname, err: describeError(error) }, 'request failed') },
  );
  // The dashboard (app, terminal WebSocket, metrics) sits behind the same token check as the API.
  const dashboard = options.dashboard?.({ config, manager, store, paths, logger });
  const server = createDaemonServer({
    token,
    logger,
    host,
    limits: serverLimitsFromEnv(process.env),
    handlers: [api.handle, ...plugins.handlers, ...(dashboard ? [dashboard.handle] : [])],
    signedRoutes: [githubWebhook],
    upgrade: (req, socket, head, url) => dashboard?.upgrade(req, socket, head, url) || plugins.upgrade(req, socket, head, url),
  });
  // Check, listen and publish under one lock: two racing `ao start`s must not both become the daemon.
  info = await withFileLock(
    join(paths.home, 'daemon.lock'),
    async () => {
      const existing = daemonState(paths);
      if (existing.state === 'running' && existing.info.pid !== process.pid) {
        throw new AoError('DAEMON_RUNNING', `The ao daemon is already running (pid ${existing.info.pid}, ${existing.info.url}): stop it with \`ao stop\``);
      }
      let port: number;
      try {
        port = await listen(server, host, config.dashboard.port);
      } catch (error) {
        throw new AoError('DAEMON_FAILED', `The ao daemon could not listen on ${host}:${config.dashboard.port}: ${describeError(error)} (set dashboard.port in ${config.file}, or 0 for any free port)`, { cause: error });
      }
      const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      const startTime = processStartTime(process.pid);
      const published: DaemonInfo = { pid: process.pid, host, port, url: `http://${urlHost}:${port}`, startedAt: startedAt.toISOString(), version, ...(startTime ? { startTime } : {}) };
      await writeDaemonInfo(paths, published);
      return published;
    },
    { timeoutMs: 10_000 },
  ).catch(async (error: unknown) => {
    await closeServer(server).catch(() => {});
    await plugins.close();
    throw error;
  });
  if (!isLoopback(host)) {
    logger.warn({ host }, 'daemon bound to a non-loopback address');
    printErr(`ao: warning: the daemon listens on ${host}, reachable from other machines; anyone with the token can drive your agents`);
  }
  logger.info({ ...info }, 'daemon started');
  print(`ao daemon listening on ${info.url} (pid ${process.pid})`);

  lifecycle.start();

  // The orchestrator starts after the API is up, so `ao start` sees the daemon at once and then
  // waits on /api/status for how the orchestrator went.
  if (orchestrator.state === 'starting') {
    void ensureOrchestrator({ manager, config, cwd: cli.cwd, ao: aoCommand(config.file) })
      .then((result) => {
        if ('disabled' in result) {
          orchestrator = { state: 'disabled', reason: result.disabled };
          logger.info({ reason: result.disabled }, 'orchestrator not started');
          print(`orchestrator: not started: ${result.disabled}`);
          return;
        }
        const { session, spawned } = result;
        orchestrator = { state: 'running', sessionId: session.id, spawned };
        logger.info({ session: session.id, spawned }, spawned ? 'orchestrator spawned' : 'orchestrator already running');
        print(spawned ? `orchestrator session ${session.id} started` : `orchestrator session ${session.id} is already running`);
        lifecycle.trigger('orchestrator');
      })
      .catch((error: unknown) => {
        orchestrator = { state: 'failed', error: describeError(error) };
        logger.warn({ err: describeError(error) }, 'orchestrator spawn failed');
        printErr(`ao: warning: the orchestrator session could not be started: ${describeError(error)}`);
      });
  }

  await new Promise<void>((resolve) => {
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    const onAbort = (): void => stop('abort');
    function stop(signal: string): void {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      options.signal?.removeEventListener('abort', onAbort);
      logger.info({ signal }, 'daemon stopping');
      print(`ao daemon stopping (${signal})`);
      resolve();
    }
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onInt);
    if (options.signal?.aborted) stop('abort');
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });

  await lifecycle.stop().catch((error: unknown) => logger.warn({ err: describeError(error) }, 'lifecycle stop failed'));
  events.close();
  dashboard?.close();
  await closeServer(server);
  await plugins.close();
  removeDaemonInfo(paths, process.pid);
  logger.info({ file: daemonFiles(paths).info }, 'daemon stopped');
  print('ao daemon stopped');
  await flushLogs();
  return 0;
}

/** The command line the orchestrator agent uses to call this very ao, with this config. */
function aoCommand(configFile: string): string {
  let bin = process.argv[1] ?? 'ao';
  try {
    bin = realpathSync(bin);
  } catch {
    // keep argv[1]
  }
  const quote = (s: string): string => (/^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return `${quote(process.execPath)} ${quote(bin)} --config ${quote(configFile)}`;
}
