import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { daemonFiles, exec, processStartTime, resolvePaths, silentLogger, systemClock, type AoPaths, type PluginContext, type Runtime } from '@ao/core';
import { createPtyHost, handlePtyRequest, type PtyHost } from '../src/index.js';
import plugin from '../src/index.js';

export interface TestDaemon {
  root: string;
  home: string;
  cwd: string;
  paths: AoPaths;
  ctx: PluginContext;
  runtime: Runtime;
  host: PtyHost;
  url: string;
  token: string;
  /** Stops the HTTP server and removes daemon.json (the host keeps running until `shutdown`). */
  closeServer(): Promise<void>;
  /** Shuts the host down, closes the server, removes the temp dirs. */
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
 * What the daemon does, for real: a pty host, a token-checking HTTP server on 127.0.0.1 that
 * hands `/api/pty` to `handlePtyRequest`, and `daemon.json` + `daemon.token` in AO_HOME so
 * `daemonRequest` (and so the plugin) finds it.
 */
export async function startTestDaemon(base?: Awaited<ReturnType<typeof createTestHome>>): Promise<TestDaemon> {
  const home = base ?? (await createTestHome());
  const host = createPtyHost({ paths: home.paths, logger: silentLogger, stopGraceMs: 1500 });
  const { server, url, token } = await serveHost(home.paths, host);
  let serverOpen = true;
  const closeServer = async (): Promise<void> => {
    if (!serverOpen) return;
    serverOpen = false;
    await rm(daemonFiles(home.paths).info, { force: true });
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return {
    ...home,
    host,
    url,
    token,
    closeServer,
    async cleanup() {
      await host.shutdown();
      await closeServer();
      await rm(home.root, { recursive: true, force: true });
    },
  };
}

export async function serveHost(paths: AoPaths, host: PtyHost): Promise<{ server: Server; url: string; token: string }> {
  const token = randomBytes(16).toString('hex');
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'missing or wrong token' } }));
      return;
    }
    void handlePtyRequest(host, req, res, url).then((handled) => {
      if (handled) return;
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: `no route ${url.pathname}` } }));
    });
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
  return { server, url, token };
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

/** Polls `probe` until it is truthy (fails after `timeoutMs`, naming `what`). */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
