// Runs vitest over every package and ends with one plain summary line ("N passed, N failed"),
// exiting non-zero when any test failed or none ran.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'ao-vitest-'));
const report = join(dir, 'report.json');
// Every tmux call of the run (ao's and the tests') goes to a private tmux server under this dir,
// killed afterwards: the tests never touch the user's own tmux sessions, and leave none behind.
const tmuxDir = join(dir, 'tmux');
mkdirSync(tmuxDir, { mode: 0o700 });
const env = { ...process.env, TMUX_TMPDIR: tmuxDir };
delete env.TMUX;
const vitest = spawnSync(
  'pnpm',
  ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { stdio: 'inherit', env },
);
spawnSync('tmux', ['kill-server'], { env, stdio: 'ignore' });
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed = r.numPassedTests;
  failed = r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
  skipped = r.numPendingTests + r.numTodoTests;
  // A file that failed outside its tests (an import error, a failing beforeAll) has no failed
  // assertion of its own: its tests read as skipped. Count each such file as a failure.
  failed += r.testResults.filter(
    (t) => t.status === 'failed' && !t.assertionResults.some((a) => a.status === 'failed'),
  ).length;
} catch {
  failed = Math.max(failed, 1);
}
rmSync(dir, { recursive: true, force: true });
console.log(`\nTests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(vitest.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
