// Benchmark: the lifecycle daemon (`ao start --no-orchestrator`).
//
// 1. Footprint: the daemon's RSS (max / median) and CPU with 0, 50 and 200 idle sessions, sampled
//    from /proc every second for BENCH_SECONDS (default 60). Target: RSS < 150 MB at 200 sessions.
//    The sessions are alive and idle: BENCH_LIVE (default 5) real fake agents started with
//    `ao spawn`, the rest store records each with a real worktree and a live tmux session sitting
//    at a `> ` prompt (a shell running `cat`, so 200 sessions do not cost 200 node processes). Every
//    poll therefore captures every screen and checks every workspace, like a busy day would.
//    The CPU of the git/tmux children the daemon waited for is reported separately.
// 2. Reaction latency: from `ao review <id> request-changes -m TEXT` (command start) to the fake
//    agent logging that it received TEXT, over BENCH_REVIEWS (default 5) sessions whose PRs are open
//    with passing CI on scm-local. Target p95 < 2 s, with lifecycle.pollIntervalMs 15000, so only
//    the event trigger (`ao review` notifies the daemon) can make it. Baseline in the same run: `ao
//    send <id> TEXT` to the same agents (delivery without the lifecycle).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize } from './lib.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'packages/cli/dist/bin.js');
const fakeAgent = join(root, 'packages/testkit/bin/fake-agent.js');
const { createSessionStore, daemonRequest, readDaemonInfo, resolvePaths } = await import(join(root, 'packages/core/dist/index.js'));

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const COUNTS = (process.env.BENCH_SESSIONS ?? '50,200').split(',').map(Number);
const LIVE = Number(process.env.BENCH_LIVE ?? 5);
const REVIEWS = Number(process.env.BENCH_REVIEWS ?? 5);
const POLL_MS = 15_000;
const RSS_TARGET_MB = 150;
const LATENCY_TARGET_MS = 2_000;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const IDLE_SCREEN = ['sh', '-c', 'printf "> "; exec cat >/dev/null'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (kb) => `${(kb / 1024).toFixed(1)} MB`;
const ms = (v) => `${Math.round(v)} ms`;

/** Synchronous cleanups, run in `finally` and on SIGINT/SIGTERM (a Ctrl-C must not leak a daemon). */
const cleanups = [];
const runCleanups = () => {
  while (cleanups.length) {
    try {
      cleanups.pop()();
    } catch {
      // keep cleaning
    }
  }
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    runCleanups();
    process.exit(130);
  });
}

/** A temp dir with a git repo, a private AO_HOME and tmux server; its cleanup is registered. */
function createEnv(prefix) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const env = { ...process.env, AO_HOME: join(work, 'home'), NO_COLOR: '1', TMUX_TMPDIR: join(work, 'tmux') };
  mkdirSync(env.TMUX_TMPDIR);
  const repo = join(work, 'repo');
  const paths = resolvePaths(env);
  const run = (file, args, cwd = repo) => {
    const r = spawnSync(file, args, { cwd, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return r.stdout;
  };
  const ao = (...args) => run(process.execPath, [bin, ...args]);
  cleanups.push(() => {
    stopDaemon(paths, env, repo);
    spawnSync('tmux', ['kill-server'], { env, stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  });
  run('git', ['init', '-q', '-b', 'main', repo], work);
  return { work, env, repo, paths, run, ao };
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** `ao stop`, then SIGKILL by pid if the daemon is somehow still there. */
function stopDaemon(paths, env, repo) {
  const info = readDaemonInfo(paths);
  if (!info) return;
  spawnSync(process.execPath, [bin, 'stop'], { cwd: repo, env, stdio: 'ignore', timeout: 15_000 });
  const deadline = Date.now() + 5_000;
  while (pidAlive(info.pid) && Date.now() < deadline) spawnSync('sleep', ['0.1']);
  if (pidAlive(info.pid)) process.kill(info.pid, 'SIGKILL');
}

function startDaemon({ ao, paths }) {
  ao('start', '--no-orchestrator');
  const info = readDaemonInfo(paths);
  if (!info) throw new Error('ao start returned but no daemon is running');
  return info.pid;
}

function configYaml(lines) {
  return [
    'dashboard: { port: 0 }',
    'orchestrator: { enabled: false }',
    `lifecycle: { pollIntervalMs: ${POLL_MS} }`,
    'limits: { maxConcurrentSessions: 1000 }',
    ...lines,
  ].join('\n') + '\n';
}

/** RSS (kB), own CPU ticks and waited-for children's CPU ticks of a process. */
function readProc(pid) {
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { rss, own: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
}

/** Samples the daemon every second for SECONDS: RSS max/median, average CPU % of one core. */
async function sample(pid) {
  const rss = [];
  const first = readProc(pid);
  const t0 = process.hrtime.bigint();
  let last = first;
  for (let i = 0; i < SECONDS; i++) {
    await sleep(1_000);
    last = readProc(pid);
    rss.push(last.rss);
  }
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const pct = (ticks) => ((ticks / CLK_TCK) / wallS) * 100;
  const r = summarize(rss);
  return { rssMax: r.max, rssMedian: r.p50, cpu: pct(last.own - first.own), childCpu: pct(last.children - first.children) };
}

async function footprint() {
  const e = createEnv('ao-bench-daemon-');
  const { env, repo, paths, run, ao } = e;
  run('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-q', '--allow-empty', '-m', 'init']);
  writeFileSync(
    join(repo, 'agent-orchestrator.yaml'),
    configYaml([
      'defaults:\n  runtime: tmux\n  agent: fake',
      'projects:\n  app:\n    path: .\n    defaultBranch: main',
      `agents:\n  fake: { command: ${JSON.stringify([process.execPath, fakeAgent])}, prompt: arg }`,
    ]),
  );
  const store = createSessionStore(paths);
  const results = [];
  let have = 0;
  let live = 0;
  for (const count of [0, ...COUNTS]) {
    // Sessions are added with the daemon stopped, so each count is measured on a fresh daemon.
    for (; have < count; have++) {
      if (live < LIVE) {
        ao('spawn', '--prompt', `idle ${have}`);
        live++;
        continue;
      }
      const id = await store.reserveId('app', 'app');
      const ws = join(env.AO_HOME, 'worktrees', 'app', id);
      const branch = `ao/${id}`;
      run('git', ['worktree', 'add', '-q', '-b', branch, ws, 'main']);
      const tmuxName = `ao-bench-${id}`;
      run('tmux', ['new-session', '-d', '-s', tmuxName, '-c', ws, ...IDLE_SCREEN]);
      const now = new Date().toISOString();
      await store.create('app', {
        id, project: 'app', issue: null, title: `idle ${have}`, branch, baseBranch: 'main', workspacePath: ws, agent: 'fake',
        runtimeName: 'tmux', workspaceName: 'worktree', runtime: { runtime: 'tmux', id: tmuxName }, status: 'working',
        activity: 'idle', activityDetail: null, nativeSessionId: null, pr: null, createdAt: now, updatedAt: now, startedAt: now,
        lastEvent: null, spawnMs: null, role: 'worker',
      });
    }
    const pid = startDaemon(e);
    const s = await sample(pid);
    const status = await daemonRequest(paths, '/api/status', { timeoutMs: 5_000 });
    const lc = status.lifecycle ?? {};
    const activity = {};
    for (const x of JSON.parse(ao('session', 'ls', '--json'))) activity[x.activity] = (activity[x.activity] ?? 0) + 1;
    results.push({ count, ...s, polls: lc.polls, lastPoll: lc.lastPollResult, pollError: lc.lastPollError, activity });
    stopDaemon(paths, env, repo);
  }
  return results;
}

/** Fake agent log entries (JSON lines). */
const logEntries = (file) =>
  existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];

async function waitFor(what, check, timeoutMs, tick) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    if (tick) await tick();
    await sleep(20);
  }
}

/** Runs `command(marker)` and returns ms from its start to the agent's `received` entry with marker. */
async function deliveryMs(log, marker, command) {
  const t0 = Date.now();
  command(marker);
  const entry = await waitFor(`"${marker}" at the agent`, () => logEntries(log).find((x) => x.type === 'received' && String(x.text).includes(marker)), 30_000);
  return entry.ts - t0;
}

async function latency() {
  const e = createEnv('ao-bench-reaction-');
  const { work, repo, paths, run, ao } = e;
  const log = join(work, 'agent.jsonl');
  writeFileSync(join(repo, 'ci.js'), "const fs = require('node:fs');\nprocess.exit(fs.existsSync('f.txt') && fs.readFileSync('f.txt', 'utf8').includes('good') ? 0 : 1);\n");
  writeFileSync(join(repo, '.gitignore'), 'agent-orchestrator.yaml\n');
  run('git', ['add', '.']);
  run('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qm', 'ci']);
  const scenario = join(work, 'good.json');
  writeFileSync(scenario, JSON.stringify({ steps: [{ write: { path: 'f.txt', content: 'good\n' } }, { commit: 'f: good' }, { idle: true }] }));
  writeFileSync(
    join(repo, 'agent-orchestrator.yaml'),
    configYaml([
      'defaults:',
      '  runtime: tmux',
      '  agent: fake',
      `  scm: { plugin: local, ci: ${JSON.stringify([process.execPath, 'ci.js'])} }`,
      'projects:\n  app:\n    path: .\n    defaultBranch: main',
      `agents:\n  fake: { command: ${JSON.stringify([process.execPath, fakeAgent, '--log', log, '--scenario', scenario])}, prompt: arg }`,
    ]),
  );
  startDaemon(e);
  const ids = [];
  for (let i = 0; i < REVIEWS; i++) ids.push(JSON.parse(ao('spawn', '--prompt', `make f.txt good (${i})`, '--json')).id);
  // Commit → the daemon opens the PR → CI passes → review_pending. Nudge it rather than wait 15 s polls.
  const ready = () => {
    const all = JSON.parse(ao('session', 'ls', '--json'));
    return ids.every((id) => all.find((s) => s.id === id)?.status === 'review_pending');
  };
  await waitFor('every PR open with passing CI (review_pending)', ready, 120_000, async () => {
    await daemonRequest(paths, '/api/lifecycle/poll', { method: 'POST', body: { reason: 'bench' }, timeoutMs: 5_000 }).catch(() => {});
    await sleep(1_000);
  });
  await sleep(1_000);
  const nonce = Date.now().toString(36);
  const send = [];
  for (const [i, id] of ids.entries()) {
    send.push(await deliveryMs(log, `bench send ${i} ${nonce}`, (m) => ao('send', id, m)));
    await sleep(500);
  }
  const review = [];
  for (const [i, id] of ids.entries()) {
    review.push(await deliveryMs(log, `bench review ${i} ${nonce}`, (m) => ao('review', id, 'request-changes', '-m', m)));
    await sleep(1_000);
  }
  return { send: summarize(send), review: summarize(review), samples: review };
}

let over = false;
try {
  console.log(`ao daemon footprint (ao start --no-orchestrator, lifecycle.pollIntervalMs ${POLL_MS}, sampled every 1 s for ${SECONDS} s)`);
  console.log(`  sessions: ${LIVE} idle fake agents via \`ao spawn\`, the rest store records with a real worktree and a live tmux session idle at "> "`);
  console.log('  sessions   RSS max     RSS median   CPU daemon   CPU git/tmux children   polls');
  const rows = await footprint();
  for (const r of rows) {
    const target = r.count >= 200 ? `   (target RSS < ${RSS_TARGET_MB} MB) ${r.rssMax / 1024 < RSS_TARGET_MB ? 'OK' : 'OVER TARGET'}` : '';
    if (r.count >= 200 && r.rssMax / 1024 >= RSS_TARGET_MB) over = true;
    const note = r.count === 0 ? '  (baseline)' : '';
    console.log(
      `  ${String(r.count).padStart(8)}   ${mb(r.rssMax).padStart(8)}   ${mb(r.rssMedian).padStart(10)}   ${`${r.cpu.toFixed(1)} %`.padStart(10)}   ${`${r.childCpu.toFixed(1)} %`.padStart(21)}   ${String(r.polls).padStart(5)}${note}${target}`,
    );
    if (r.pollError) console.log(`             last poll failed: ${r.pollError}`);
    else if (r.count > 0) {
      const act = Object.entries(r.activity).map(([k, v]) => `${v} ${k}`).join(', ');
      console.log(`             last poll: ${JSON.stringify(r.lastPoll)}; activity after: ${act}`);
    }
  }
  console.log(`reaction latency (${REVIEWS} sessions, PR open + CI passing on scm-local, median / p95; polls every ${POLL_MS / 1000} s, so only the trigger can be fast)`);
  const lat = await latency();
  console.log(`  ao send → agent received (baseline)                ${ms(lat.send.p50)} / ${ms(lat.send.p95)}`);
  const ok = lat.review.p95 < LATENCY_TARGET_MS;
  if (!ok) over = true;
  console.log(`  ao review request-changes → comments at the agent  ${ms(lat.review.p50)} / ${ms(lat.review.p95)}   (target p95 < ${LATENCY_TARGET_MS} ms) ${ok ? 'OK' : 'OVER TARGET'}`);
  console.log(`    samples: ${lat.samples.map(ms).join(', ')}`);
} finally {
  runCleanups();
}
process.exitCode = over ? 1 : 0;
