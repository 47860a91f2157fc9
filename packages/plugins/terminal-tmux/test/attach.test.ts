import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { exec, resolvePaths, silentLogger, systemClock, type PluginContext, type Runtime, type RuntimeHandle } from '@ao/core';
import runtimePlugin from '@ao/plugin-runtime-tmux';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import terminalPlugin from '../src/index.js';

let root = '';
let ctx: PluginContext;
let runtime: Runtime;
const started: RuntimeHandle[] = [];

beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'ao-terminal-tmux-')));
  const env = { ...process.env, AO_HOME: join(root, 'home') };
  ctx = { logger: silentLogger, paths: resolvePaths(env), exec, clock: systemClock, env, configDir: root };
  runtime = await runtimePlugin.create(runtimePlugin.configSchema.parse({ cols: 100, rows: 20 }), ctx);
});

afterEach(async () => {
  for (const handle of started.splice(0)) await runtime.stop(handle);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function startShell(text: string): Promise<RuntimeHandle> {
  const handle = await runtime.start({
    sessionId: `attach-${randomBytes(3).toString('hex')}`,
    cwd: root,
    argv: ['sh', '-c', `echo '${text}'; sleep 60`],
  });
  started.push(handle);
  return handle;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('terminal tmux', () => {
  it('attaches to a tmux session: the returned argv really shows that session', async () => {
    const terminal = await terminalPlugin.create({}, { ...ctx, env: { ...ctx.env, TMUX: undefined } });
    const inner = await startShell('inside the agent session');
    const plan = await terminal.attach(inner);
    expect(plan.argv).toEqual(['tmux', 'attach-session', '-t', `=${inner.id}`]);

    // Run the plan the way a user's terminal would: here the "terminal" is another tmux session.
    const outer = await runtime.start({
      sessionId: `viewer-${randomBytes(3).toString('hex')}`,
      cwd: root,
      argv: ['env', '-u', 'TMUX', ...(plan.argv ?? [])],
    });
    started.push(outer);
    const screen = await waitFor('the attached screen', async () => {
      const text = await runtime.capture(outer);
      return text.includes('inside the agent session') ? text : undefined;
    });
    expect(screen).toContain('inside the agent session');
  });

  it('switches the client instead of nesting when run inside tmux', async () => {
    const terminal = await terminalPlugin.create({}, { ...ctx, env: { ...ctx.env, TMUX: '/tmp/tmux-1000/default,1,0' } });
    const handle = await startShell('nested');
    expect((await terminal.attach(handle)).argv).toEqual(['tmux', 'switch-client', '-t', `=${handle.id}`]);
  });

  it('throws RUNTIME_FAILED for another runtime or a session that is gone', async () => {
    const terminal = await terminalPlugin.create({}, ctx);
    await expect(terminal.attach({ runtime: 'process', id: '123' })).rejects.toMatchObject({ code: 'RUNTIME_FAILED' });
    const handle = await startShell('soon gone');
    await runtime.stop(handle);
    await expect(terminal.attach(handle)).rejects.toMatchObject({ code: 'RUNTIME_FAILED', message: expect.stringContaining('gone') });
  });
});
