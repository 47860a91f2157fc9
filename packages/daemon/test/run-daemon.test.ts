// The daemon is a host of its own: given a context built from @ao/core alone (no CLI) and a mount,
// it serves its API and the mount behind its token over real HTTP, publishes daemon.json, and
// on its stop signal closes everything and removes its files.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createPluginRegistry,
  createSessionManager,
  createSessionStore,
  daemonFiles,
  definePlugin,
  exec,
  loadConfig,
  readDaemonInfo,
  resolveConfig,
  resolvePaths,
  silentLogger,
  systemClock,
  z,
  type PluginSlot,
} from '@ao/core';
import { runDaemon, type DaemonMount } from '../src/index.js';

/** A plugin that only has to resolve in the config: with no sessions the daemon calls none of it. */
const stub = (slot: PluginSlot, name: string) => ({
  slot,
  name,
  load: async () => ({ default: definePlugin({ name, slot, version: '0.0.0', configSchema: z.object({}).passthrough(), create: () => ({}) as never }) }),
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('runDaemon', () => {
  it('hosts a context without the CLI: API and mount behind the token, daemon.json while it runs, nothing left after its stop signal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ao-daemon-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'agent-orchestrator.yaml'), 'defaults:\n  runtime: tmux\nprojects:\n  app:\n    path: .\ndashboard:\n  port: 0\n');
    const env = { AO_HOME: join(dir, 'home') };
    const registry = createPluginRegistry([
      stub('runtime', 'tmux'),
      stub('workspace', 'worktree'),
      stub('agent', 'claude-code'),
      stub('tracker', 'local'),
      stub('scm', 'local'),
      stub('notifier', 'console'),
      stub('terminal', 'tmux'),
    ]);
    const config = await resolveConfig(loadConfig({ cwd: dir, env }), registry, { env });
    const paths = resolvePaths(env);
    const store = createSessionStore(paths);
    const manager = createSessionManager({ config, registry, store, paths, logger: silentLogger, clock: systemClock, exec, env });
    let closed = false;
    const mount: DaemonMount = {
      handle: async (_req, res, url) => {
        if (url.pathname !== '/mounted') return false;
        res.end('from the mount');
        return true;
      },
      upgrade: () => false,
      close: () => void (closed = true),
    };
    const stop = new AbortController();
    const running = runDaemon({ config, registry, paths, env, cwd: dir, store, manager }, { orchestrator: false, version: '9.9.9-test', dashboard: () => mount, signal: stop.signal });

    const info = await vi.waitFor(() => readDaemonInfo(paths) ?? Promise.reject(new Error('daemon.json not written yet')), { timeout: 20_000, interval: 50 });
    expect(info.pid).toBe(process.pid);
    const auth = { authorization: `Bearer ${info.token}` };
    const health = await fetch(new URL('/health', info.url), { headers: auth });
    expect(await health.json()).toMatchObject({ ok: true, pid: process.pid, version: '9.9.9-test' });
    const mounted = await fetch(new URL('/mounted', info.url), { headers: auth });
    expect(await mounted.text()).toBe('from the mount');
    expect((await fetch(new URL('/mounted', info.url))).status).toBe(401);
    const status = (await (await fetch(new URL('/api/status', info.url), { headers: auth })).json()) as { orchestrator: unknown; sessions: unknown };
    expect(status).toMatchObject({ orchestrator: { state: 'disabled', reason: '--no-orchestrator' }, sessions: { total: 0 } });

    stop.abort();
    expect(await running).toBe(0);
    expect(closed).toBe(true);
    expect(existsSync(daemonFiles(paths).info)).toBe(false);
    await expect(fetch(new URL('/health', info.url), { headers: auth })).rejects.toThrow();
    expect(readFileSync(daemonFiles(paths).token, 'utf8').trim()).toBe(info.token);
  });
});
