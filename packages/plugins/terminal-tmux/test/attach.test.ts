// terminal-tmux hands the user's terminal to the command the session's runtime gives: it must
// pass that argv through, and fail clearly for a runtime without one. (That the tmux runtime's
// argv really attaches is runtime-tmux's attach.test.ts.)
import { spawnSync } from 'node:child_process';
import { AoError, type Runtime, type RuntimeHandle } from '@ao/core/plugin';
import { describe, expect, it } from 'vitest';
import terminalPlugin from '../src/index.js';

/** Runtimes as the terminal sees them: only `attachArgv` matters to it. */
const runtimeWith = (methods: Partial<Runtime>): Runtime => methods as Runtime;
const handle: RuntimeHandle = { runtime: 'remote', id: 'r-1' };

async function terminal() {
  return terminalPlugin.create({}, undefined as never);
}

describe('terminal tmux', () => {
  it("returns the runtime's attach command, and that command runs in the user's terminal", async () => {
    const runtime = runtimeWith({ attachArgv: async (h) => ['sh', '-c', `echo attached to ${h.id}`] });
    const plan = await (await terminal()).attach(handle, { sessionId: 'app-1', runtime });
    expect(plan).toEqual({ argv: ['sh', '-c', 'echo attached to r-1'] });
    const [file, ...args] = plan.argv as [string, ...string[]];
    expect(spawnSync(file, args, { encoding: 'utf8' }).stdout).toBe('attached to r-1\n');
  });

  it('throws RUNTIME_FAILED for a runtime without attachArgv, naming the web terminal', async () => {
    await expect((await terminal()).attach(handle, { sessionId: 'app-1', runtime: runtimeWith({}) })).rejects.toMatchObject({
      code: 'RUNTIME_FAILED',
      message: expect.stringContaining('terminal: web'),
    });
  });

  it("passes the runtime's own error through (a terminal that is gone)", async () => {
    const gone = new AoError('RUNTIME_FAILED', 'cannot attach: tmux session x is not running; restore it with `ao session restore`');
    const runtime = runtimeWith({ attachArgv: () => Promise.reject(gone) });
    await expect((await terminal()).attach(handle, { sessionId: 'app-1', runtime })).rejects.toBe(gone);
  });
});
