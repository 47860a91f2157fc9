import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
// daemonFiles is the host's (where a running daemon records itself): these tests play the daemon.
import { daemonFiles } from '@ao/core';
import {
  exec,
  processStartTime,
  resolvePaths,
  silentLogger,
  systemClock,
  type AoPaths,
  type DaemonHost,
  type DaemonRouteHandler,
  type DaemonUpgradeHandler,
  type PluginContext,
  type Runtime,
} from '@ao/core/plugin';
import { createPtyRouter, createPtyTerminalServer, type PtyHost } from '../src/index.js';
import plugin from '../src/index.js';

export interface TestDaemon {
  root: string;
  home: string;
  cwd: string;
  paths: AoPaths;
  ctx: PluginContext;
  runtime: Runtime;
  url: string;
  token: string;
  /** Shuts the plugin's services down (the pty host), closes the server, removes the temp dirs. */
  cleanup(): Promise<void>;
}

/** A fresh AO_HOME with a plugin instance over it, and no daemon. */
export async function createTestHome(): Promise<{ root: string; home: string; cwd: string; paths: AoPaths; ctx: PluginContext; runtime: Runtime }> {
  const root = await realpath(await mkdtemp(join(tmpdir(), 'ao-runtime-process-')));
  const home = join(root, 'home');
  const cwd = join(root, 'work');
  await mkdir(cwd, { recursive: true });
  await mkdir(home, { recursive: true });
  const env = { ...process.env, AO_HOME: home };
  const paths = resolvePaths(env);
  const ctx: PluginContext = { logger: silentLogger, paths, exec, clock: systemClock, env, configDir: root };
  const runtime = await plugin.create(plugin.configSchema.parse({}), ctx);
  return { root, home, cwd, paths, ctx, runtime };
}

/**
 * What the daemon does with the plugin, for real: its `configureDaemon` hook, then a
 * token-checking HTTP server on 127.0.0.1 that mounts the routes and WebSockets the hook
 * registered, and `daemon.json` + `daemon.token` in AO_HOME so `daemonRequest` (and so the
 * plugin in any process) finds it.
 */
export async function startTestDaemon(base?: Awaited<ReturnType<typeof createTestHome>>): Promise<TestDaemon> {
  const home = base ?? (await createTestHome());
  const served = await serveDaemon(home.paths, (daemon) => plugin.configureDaemon!(daemon, home.ctx));
  return {
    ...home,
    url: served.url,
    token: served.token,
    async cleanup() {
      await served.shutdown();
      await served.closeServer();
      await rm(home.root, { recursive: true, force: true });
    },
  };
}

/** `serveDaemon` over a pty host made by the test (to stop it, or not, as a crash would). */
export function serveHost(paths: AoPaths, host: PtyHost): Promise<ServedDaemon> {
  return serveDaemon(paths, (daemon) => {
    daemon.use(createPtyRouter(host).handle);
    daemon.upgrade(createPtyTerminalServer(host, silentLogger).upgrade);
  });
}

export interface ServedDaemon {
  server: Server;
  url: string;
  token: string;
  /** Stops the HTTP server and removes daemon.json; the services keep running (as after a crash). */
  closeServer(): Promise<void>;
  /** Runs the close hooks the plugin registered (the daemon stopping). */
  shutdown(): Promise<void>;
}

/** A minimal daemon: the token check, then the plugin's routes and upgrades, in order. */
export async function serveDaemon(paths: AoPaths, configure: (daemon: DaemonHost) => void | Promise<void>): Promise<ServedDaemon> {
  const routes: DaemonRouteHandler[] = [];
  const upgrades: DaemonUpgradeHandler[] = [];
  const closers: (() => void | Promise<void>)[] = [];
  await configure({ use: (h) => void routes.push(h), upgrade: (h) => void upgrades.push(h), onClose: (h) => void closers.push(h) });
  const token = randomBytes(16).toString('hex');
  const refuse = (res: ServerResponse, status: number, code: string, message: string): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code, message } }));
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.headers.authorization !== `Bearer ${token}`) return refuse(res, 401, 'UNAUTHORIZED', 'missing or wrong token');
    void (async () => {
      for (const route of routes) if (await route(req, res, url)) return;
      refuse(res, 404, 'NOT_FOUND', `no route ${url.pathname}`);
    })();
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.headers.authorization === `Bearer ${token}` && upgrades.some((u) => u(req, socket, head, url))) return;
    socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const files = daemonFiles(paths);
  await writeFile(files.token, `${token}\n`, { mode: 0o600 });
  await writeFile(
    files.info,
    JSON.stringify({ pid: process.pid, host: '127.0.0.1', port, url, startedAt: new Date().toISOString(), version: '0.1.0', startTime: processStartTime(process.pid) }),
  );
  let open = true;
  return {
    server,
    url,
    token,
    async closeServer() {
      if (!open) return;
      open = false;
      await rm(files.info, { force: true });
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
    async shutdown() {
      for (const hook of closers.splice(0).reverse()) await hook();
    },
  };
}

/** True while a process with this pid exists and is not a zombie (killed, waiting to be reaped). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return existsSync('/proc/self') ? false : true;
  }
}

/** Options for `vi.waitFor` in these tests: how long a process may take to get somewhere, generous for a loaded CI machine. */
export const WAIT = { timeout: 20_000, interval: 50 };
