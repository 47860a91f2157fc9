import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AO_BIN } from './run-ao.js';
import { createSessionEnv, type SessionEnv } from './session-env.js';

/**
 * `ao … | head -1`: the reader closes the pipe before ao is done writing. ao must exit quietly
 * (no EPIPE stack), with the command's own exit code. The read end is closed before the child
 * writes anything, so every write meets a closed pipe.
 */

let env: SessionEnv;
beforeEach(async () => {
  env = await createSessionEnv();
  env.writeConfig('dashboard:\n  port: 0\n');
});
afterEach(async () => {
  env.ao('stop', '--force');
  await env.cleanup();
});

/** Runs ao with stdout (and with `closeStderr` also stderr) a pipe whose reader is already gone. */
function aoIntoClosedPipe(args: string[], closeStderr = false): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AO_BIN, ...args], { cwd: env.repo, env: { ...process.env, NO_COLOR: '1', AO_HOME: env.home }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    if (closeStderr) child.stderr.destroy();
    else child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('a closed stdout (EPIPE)', () => {
  it('`ao start | head -1` exits quietly, and the daemon it started runs', async () => {
    const r = await aoIntoClosedPipe(['start', '--no-orchestrator']);
    expect(r.stderr).toBe('');
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    const status = env.ao('daemon', 'status');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('running');
  });

  it('with stderr closed too, and for commands that print many lines', async () => {
    const both = await aoIntoClosedPipe(['start', '--no-orchestrator'], true);
    expect(both.code).toBe(0);
    for (const args of [['daemon', 'status'], ['--help'], ['status', '--json']]) {
      const r = await aoIntoClosedPipe(args);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
    }
    // A failing command keeps its own exit code.
    const failed = await aoIntoClosedPipe(['session', 'events', 'app-404']);
    expect(failed.code).toBe(1);
  });
});
