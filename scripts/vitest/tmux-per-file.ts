// Each test file gets a tmux server of its own (a TMUX_TMPDIR under the run's), so files can run
// in parallel: one file's sessions, `tmux list-sessions` or leftovers never meet another's. The
// server is ended after the file, whatever its tests left.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const dir = mkdtempSync(join(process.env.TMUX_TMPDIR ?? tmpdir(), 'f-'));
process.env.TMUX_TMPDIR = dir;
delete process.env.TMUX;

afterAll(() => {
  try {
    execFileSync('tmux', ['kill-server'], { env: { ...process.env, TMUX_TMPDIR: dir }, stdio: 'ignore' });
  } catch {
    // no server was started
  }
  rmSync(dir, { recursive: true, force: true });
});
