import { rm, writeFile } from 'node:fs/promises';
// daemonFiles is the host's (where a running daemon records itself): the test fakes a dead daemon's record.
import { daemonFiles } from '@ao/core';
import { isAoError, silentLogger, type RuntimeHandle } from '@ao/core/plugin';
import { ensureFakeAgentBuilt, fakeAgentArgv } from '@ao/testkit/fake-agent';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import plugin, { createPtyHost, type PtyHost } from '../src/index.js';
import { createTestHome, pidAlive, serveHost, startTestDaemon, WAIT, type TestDaemon } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
const pids: number[] = [];

beforeAll(async () => {
  await ensureFakeAgentBuilt();
}, 120_000);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  const survivors = pids.splice(0).filter(pidAlive);
  expect(survivors, 'processes that outlived the test').toEqual([]);
});

async function daemon(): Promise<TestDaemon> {
  const d = await startTestDaemon();
  cleanups.push(() => d.cleanup());
  return d;
}

const errorOf = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (e: unknown) => e);

describe('process runtime plugin', () => {
  it('validates its config strictly with defaults', () => {
    expect(plugin.configSchema.parse({})).toEqual({ cols: 200, rows: 50 });
    expect(() => plugin.configSchema.parse({ colz: 3 })).toThrow();
    expect(plugin).toMatchObject({ name: 'process', slot: 'runtime' });
  });

  it('without a daemon: start says to run `ao start` (or use tmux); liveness is false; stop is quiet', async () => {
    const home = await createTestHome();
    cleanups.push(() => rm(home.root, { recursive: true, force: true }));
    const error = await errorOf(home.runtime.start({ sessionId: 's1', cwd: home.cwd, argv: ['/bin/true'] }));
    expect(isAoError(error) && error.code).toBe('RUNTIME_FAILED');
    expect((error as Error).message).toContain('needs the ao daemon: run `ao start` (or install tmux and use runtime: tmux)');

    const handle: RuntimeHandle = { runtime: 'process', id: 's1', data: { pid: 1 } };
    expect(await home.runtime.isAlive(handle)).toBe(false);
    expect([...(await home.runtime.aliveMany([handle, { runtime: 'process', id: 's2' }]))]).toEqual([
      ['s1', false],
      ['s2', false],
    ]);
    await home.runtime.stop(handle);
    expect(isAoError(await errorOf(home.runtime.capture(handle))) ).toBe(true);
    expect(((await errorOf(home.runtime.sendText(handle, 'hi'))) as Error).message).toContain('ao start');

    // A stale daemon.json (its pid is dead) counts as no daemon too.
    await writeFile(daemonFiles(home.paths).token, 'x');
    await writeFile(daemonFiles(home.paths).info, JSON.stringify({ pid: 2 ** 22 + 12345, host: '127.0.0.1', port: 1, url: 'http://127.0.0.1:1' }));
    expect(await home.runtime.isAlive(handle)).toBe(false);
    expect((await errorOf(home.runtime.start({ sessionId: 's1', cwd: home.cwd, argv: ['/bin/true'] })) as Error).message).toContain('ao start');
  });

  it('returns a JSON handle with the pid, and uses the configured size', async () => {
    const d = await daemon();
    const runtime = await plugin.create(plugin.configSchema.parse({ cols: 90, rows: 20 }), d.ctx);
    const handle = await runtime.start({ sessionId: 'sized', cwd: d.cwd, argv: ['/bin/sh', '-c', 'stty size; sleep 1000'] });
    pids.push(Number(handle.data?.pid));
    expect(handle).toEqual({ runtime: 'process', id: 'sized', data: { pid: expect.any(Number) } });
    expect(pidAlive(Number(handle.data?.pid))).toBe(true);
    await vi.waitFor(async () => {
      if (!(await runtime.capture(handle)).includes('20 90')) throw new Error('waiting for the size on screen');
    }, WAIT);
  });

  it('a program that exits keeps its last screen readable (like remain-on-exit) until stopped', async () => {
    const d = await daemon();
    const handle = await d.runtime.start({ sessionId: 'bye', cwd: d.cwd, argv: ['/bin/sh', '-c', 'echo "final summary"; exit 2'] });
    pids.push(Number(handle.data?.pid));
    await vi.waitFor(async () => {
      if (await d.runtime.isAlive(handle)) throw new Error('waiting for the exit');
    }, WAIT);
    expect(await d.runtime.capture(handle)).toContain('final summary');
    const error = await errorOf(d.runtime.sendText(handle, 'too late'));
    expect(isAoError(error) && error.code).toBe('RUNTIME_FAILED');
    expect((error as Error).message).toContain('ao session restore');
    await d.runtime.stop(handle);
    expect(isAoError(await errorOf(d.runtime.capture(handle)))).toBe(true);
  });

  it('start of a running session and of a missing program fail with RUNTIME_FAILED and the reason', async () => {
    const d = await daemon();
    const handle = await d.runtime.start({ sessionId: 'dup', cwd: d.cwd, argv: fakeAgentArgv(['--name', 'dup']) });
    pids.push(Number(handle.data?.pid));
    const dup = await errorOf(d.runtime.start({ sessionId: 'dup', cwd: d.cwd, argv: fakeAgentArgv() }));
    expect(isAoError(dup) && dup.code).toBe('RUNTIME_FAILED');
    expect((dup as Error).message).toContain('already running');
    const missing = await errorOf(d.runtime.start({ sessionId: 'missing', cwd: d.cwd, argv: ['ao-no-such-agent-cli'] }));
    expect(isAoError(missing) && missing.code).toBe('RUNTIME_FAILED');
    expect((missing as Error).message).toContain('ao-no-such-agent-cli: not found');
  });

  it('after a daemon restart, old handles are not alive and restore starts the same session again', async () => {
    const home = await createTestHome();
    cleanups.push(() => rm(home.root, { recursive: true, force: true }));
    const first = createPtyHost({ paths: home.paths, logger: silentLogger, stopGraceMs: 1000 });
    const firstServer = await serveHost(home.paths, first);
    cleanups.push(() => first.shutdown());
    const handle = await home.runtime.start({ sessionId: 'app-1', cwd: home.cwd, argv: fakeAgentArgv(['--name', 'app-1']) });
    const oldPid = Number(handle.data?.pid);
    pids.push(oldPid);
    await vi.waitFor(async () => {
      if (!(await home.runtime.capture(handle)).includes('ready')) throw new Error('waiting for the agent');
    }, WAIT);

    // The daemon goes away without shutting its host down (a crash), and a new one starts.
    firstServer.server.closeAllConnections();
    await new Promise<void>((r) => firstServer.server.close(() => r()));
    const second: PtyHost = createPtyHost({ paths: home.paths, logger: silentLogger, stopGraceMs: 1000 });
    const secondServer = await serveHost(home.paths, second);
    cleanups.push(async () => {
      await second.shutdown();
      secondServer.server.closeAllConnections();
      await new Promise<void>((r) => secondServer.server.close(() => r()));
    });

    expect(await home.runtime.isAlive(handle)).toBe(false);
    expect((await home.runtime.aliveMany([handle])).get(handle.id)).toBe(false);
    await vi.waitFor(() => {
      if (pidAlive(oldPid)) throw new Error('waiting for the orphaned agent to be ended');
    }, WAIT);

    const restored = await home.runtime.start({ sessionId: 'app-1', cwd: home.cwd, argv: fakeAgentArgv(['--name', 'app-1']) });
    pids.push(Number(restored.data?.pid));
    expect(restored.id).toBe(handle.id);
    expect(restored.data?.pid).not.toBe(oldPid);
    expect(await home.runtime.isAlive(restored)).toBe(true);
    await home.runtime.sendText(restored, 'after restart');
    await vi.waitFor(async () => {
      if (!(await home.runtime.capture(restored)).includes('received: after restart')) throw new Error('waiting for the echo');
    }, WAIT);
  });

  it('the /api/pty routes answer bad requests with { error: { code, message } } and leave other paths alone', async () => {
    const d = await daemon();
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(new URL(path, d.url), {
        method,
        headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
    };
    const bad = await call('POST', '/api/pty', { sessionId: 'x', cwd: d.cwd, argv: [] });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toEqual({ code: 'USAGE', message: 'Invalid request body: argv: Array must contain at least 1 element(s)' });
    expect((await call('POST', '/api/pty', '{nope')).body.error?.code).toBe('USAGE');
    expect((await call('GET', '/api/pty/unknown/screen')).status).toBe(404);
    expect(await call('POST', '/api/pty/unknown/write', { data: 'x' })).toMatchObject({ status: 404, body: { error: { code: 'RUNTIME_NOT_FOUND' } } });
    expect((await call('POST', '/api/pty/unknown/write', { data: 1 })).body.error?.message).toBe('Invalid request body: data: Expected string, received number');
    expect((await call('DELETE', '/api/pty')).status).toBe(405);
    expect(await call('GET', '/api/pty/x/screen?lines=-1')).toMatchObject({ status: 400, body: { error: { code: 'USAGE' } } });
    expect((await call('POST', '/api/pty/unknown/stop', {})).status).toBe(200);
    // Not a pty path: the daemon's own 404, not ours.
    expect((await call('GET', '/api/ptyx')).body.error?.message).toBe('no route /api/ptyx');
  });
});
