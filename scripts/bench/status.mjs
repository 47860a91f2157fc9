// Benchmark: `ao status --json` with 20, 100 and 500 sessions in the store (target < 300 ms at 500),
// against `ao --version` and bare `node -e 0` in the same run, plus how many tmux and git
// subprocesses one `ao status` starts (target: constant, not one per session). Sessions are real
// store records whose tmux sessions no longer exist (most sessions in a long-lived data dir are
// finished), plus 3 live fake-agent sessions so liveness and activity checks do real work.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, summarize, timeCommand } from './lib.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'packages/cli/dist/bin.js');
const fakeAgent = join(root, 'packages/testkit/bin/fake-agent.js');
const { createSessionStore, resolvePaths } = await import(join(root, 'packages/core/dist/index.js'));
const counts = (process.env.BENCH_SESSIONS ?? '20,100,500').split(',').map(Number);
const runs = Number(process.env.BENCH_RUNS ?? 15);
const LIVE = 3;

const which = (tool) => spawnSync('which', [tool], { encoding: 'utf8' }).stdout.trim();

/** A PATH where tmux and git are wrappers that log each call, then run the real program. */
function countingPath(dir, log) {
  mkdirSync(dir, { recursive: true });
  for (const tool of ['tmux', 'git']) {
    const real = which(tool);
    writeFileSync(join(dir, tool), `#!/bin/sh\necho ${tool} >> ${JSON.stringify(log)}\nexec ${JSON.stringify(real)} "$@"\n`);
    chmodSync(join(dir, tool), 0o755);
  }
  return `${dir}:${process.env.PATH}`;
}

async function scenario(count) {
  const work = mkdtempSync(join(tmpdir(), 'ao-bench-status-'));
  const env = { ...process.env, AO_HOME: join(work, 'home'), NO_COLOR: '1', TMUX_TMPDIR: join(work, 'tmux') };
  mkdirSync(env.TMUX_TMPDIR);
  try {
    const repo = join(work, 'repo');
    spawnSync('git', ['init', '-q', '-b', 'main', repo]);
    spawnSync('git', ['-C', repo, '-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-q', '--allow-empty', '-m', 'init']);
    writeFileSync(
      join(repo, 'agent-orchestrator.yaml'),
      `defaults:\n  runtime: tmux\n  agent: fake\nprojects:\n  app:\n    path: .\n    defaultBranch: main\nagents:\n  fake: { command: ${JSON.stringify([process.execPath, fakeAgent])}, prompt: arg }\n`,
    );
    for (let i = 0; i < LIVE; i++) {
      const r = spawnSync(process.execPath, [bin, 'spawn', '--prompt', `live ${i}`], { cwd: repo, env, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ao spawn failed: ${r.stderr}`);
    }
    const store = createSessionStore(resolvePaths(env));
    const now = new Date().toISOString();
    for (let i = LIVE; i < count; i++) {
      const id = await store.reserveId('app', 'app');
      await store.create('app', {
        id, project: 'app', issue: String(i + 1), title: `issue ${i + 1}`, branch: `${i + 1}-issue`, baseBranch: 'main',
        workspacePath: join(work, 'wt', id), agent: 'fake', runtimeName: 'tmux', workspaceName: 'worktree',
        runtime: { runtime: 'tmux', id: `ao-bench-${id}` }, status: i % 3 === 0 ? 'merged' : 'working', activity: 'active',
        activityDetail: null, nativeSessionId: null, pr: null, createdAt: now, updatedAt: now, startedAt: now, lastEvent: null, spawnMs: null,
      });
    }
    // The first listing records that the dead terminals are gone; measured runs are steady state.
    const first = spawnSync(process.execPath, [bin, 'status', '--json'], { cwd: repo, env, encoding: 'utf8' });
    if (first.status !== 0) throw new Error(`ao status failed: ${first.stderr}`);
    const log = join(work, 'calls.log');
    const counted = spawnSync(process.execPath, [bin, 'status', '--json'], { cwd: repo, env: { ...env, PATH: countingPath(join(work, 'bin'), log) }, encoding: 'utf8' });
    if (counted.status !== 0) throw new Error(`ao status failed: ${counted.stderr}`);
    const calls = (() => { try { return readFileSync(log, 'utf8').trim().split('\n').filter(Boolean); } catch { return []; } })();
    const status = summarize(timeCommand([process.execPath, bin, 'status', '--json'], { runs, env, cwd: repo }));
    return { count, status, tmux: calls.filter((c) => c === 'tmux').length, git: calls.filter((c) => c === 'git').length, env, repo };
  } finally {
    spawnSync('tmux', ['kill-server'], { env, stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  }
}

const node = summarize(timeCommand([process.execPath, '-e', '0'], { runs }));
const version = summarize(timeCommand([process.execPath, bin, '--version'], { runs }));
console.log(`ao status --json (${runs} runs each, median / p95; ${LIVE} live sessions, the rest finished)`);
console.log(`  node -e 0            ${fmt(node.p50)} / ${fmt(node.p95)}`);
console.log(`  ao --version         ${fmt(version.p50)} / ${fmt(version.p95)}`);
let over = false;
for (const count of counts) {
  const r = await scenario(count);
  const target = count >= 500 ? `  (target < 300 ms) ${r.status.p50 < 300 ? 'OK' : 'OVER TARGET'}` : '';
  if (count >= 500 && r.status.p50 >= 300) over = true;
  console.log(`  ${String(count).padStart(3)} sessions         ${fmt(r.status.p50)} / ${fmt(r.status.p95)}   subprocesses: tmux ${r.tmux}, git ${r.git}${target}`);
}
process.exitCode = over ? 1 : 0;
