// attachArgv: the command `ao session attach` runs in the user's terminal (moved here from
// terminal-tmux, which now only asks the runtime for it).
import { randomBytes } from 'node:crypto';
import { type PluginContext, type Runtime, type RuntimeHandle } from '@ao/core/plugin';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import plugin from '../src/index.js';
import { createTmuxRuntimeForTest } from './helpers.js';

let env: Awaited<ReturnType<typeof createTmuxRuntimeForTest>>;
const started: RuntimeHandle[] = [];

beforeAll(async () => {
  env = await createTmuxRuntimeForTest({ cols: 100, rows: 20 });
});

afterEach(async () => {
  for (const handle of started.splice(0)) await env.runtime.stop(handle);
});

afterAll(async () => {
  await env.cleanup();
});

/** The same runtime as seen from a shell whose TMUX is `tmux` (set: inside tmux; undefined: not). */
const runtimeIn = async (tmux: string | undefined): Promise<Runtime> => {
  const ctx: PluginContext = { ...env.ctx, env: { ...env.ctx.env, TMUX: tmux } };
  return plugin.create(plugin.configSchema.parse({ cols: 100, rows: 20 }), ctx);
};

async function startShell(text: string): Promise<RuntimeHandle> {
  const handle = await env.runtime.start({ sessionId: `attach-${randomBytes(3).toString('hex')}`, cwd: env.cwd, argv: ['sh', '-c', `echo '${text}'; sleep 60`] });
  started.push(handle);
  return handle;
}

describe('runtime tmux: attachArgv', () => {
  it('attaches to exactly that session: the argv, run in another terminal, shows its screen', async () => {
    const runtime = await runtimeIn(undefined);
    const inner = await startShell('inside the agent session');
    const argv = await runtime.attachArgv!(inner);
    expect(argv).toEqual(['tmux', 'attach-session', '-t', `=${inner.id}`]);
    // Run it the way a user's terminal would: here the "terminal" is another tmux session.
    const outer = await env.runtime.start({ sessionId: `viewer-${randomBytes(3).toString('hex')}`, cwd: env.cwd, argv: ['env', '-u', 'TMUX', ...argv] });
    started.push(outer);
    await vi.waitFor(async () => expect(await env.runtime.capture(outer)).toContain('inside the agent session'), { timeout: 15_000, interval: 50 });
  });

  it('switches the client instead of nesting when run inside tmux', async () => {
    const runtime = await runtimeIn('/tmp/tmux-1000/default,1,0');
    const handle = await startShell('nested');
    expect(await runtime.attachArgv!(handle)).toEqual(['tmux', 'switch-client', '-t', `=${handle.id}`]);
  });

  it('throws RUNTIME_FAILED for a session that is gone, or a handle of another runtime', async () => {
    const handle = await startShell('soon gone');
    await env.runtime.stop(handle);
    await expect(env.runtime.attachArgv!(handle)).rejects.toMatchObject({ code: 'RUNTIME_FAILED', message: expect.stringContaining('ao session restore') });
    await expect(env.runtime.attachArgv!({ runtime: 'process', id: '123' })).rejects.toMatchObject({ code: 'RUNTIME_FAILED' });
  });
});
