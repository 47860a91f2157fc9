// Benchmark: how long a store change takes to reach the DOM of an open dashboard page, and what
// the daemon costs with many tabs open. A real daemon (built CLI) serves a real chromium; the
// sessions are store records (their tmux sessions do not exist, like most finished sessions).
//   latency: append one event to a session's log (what every writer does) → the row's activity
//            cell shows the new value; ~50 changes, one at a time. Target p95 < 1000 ms.
//   load:    20 tabs on the session list, 100 sessions; daemon CPU (utime+stime from
//            /proc/<pid>/stat) and RSS (/proc/<pid>/status) over 10 s idle, then 10 s with
//            5 changes per second fanned out to every tab.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize } from './lib.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'packages/cli/dist/bin.js');
const coreDist = join(root, 'packages/core/dist/index.js');
for (const f of [bin, coreDist, join(root, 'packages/web/dist/client/index.html')]) {
  if (!existsSync(f)) {
    console.error(`missing build: ${f}\nrun \`pnpm build\` first`);
    process.exit(1);
  }
}
const { createSessionStore, resolvePaths } = await import(coreDist);
const { chromium } = await import(join(root, 'packages/web/node_modules/playwright-core/index.mjs'));

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 100);
const TABS = Number(process.env.BENCH_TABS ?? 20);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 50);
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 10_000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const work = mkdtempSync(join(tmpdir(), 'ao-bench-dashboard-'));
const repo = join(work, 'repo');
const env = { ...process.env, AO_HOME: join(work, 'home'), NO_COLOR: '1' };
const ao = (...args) => spawnSync(process.execPath, [bin, ...args], { cwd: repo, env, encoding: 'utf8' });
let context; // the browser
try {
  mkdirSync(repo);
  spawnSync('git', ['init', '-q', '-b', 'main', repo]);
  writeFileSync(join(repo, 'agent-orchestrator.yaml'), 'defaults:\n  runtime: tmux\nprojects:\n  app:\n    path: .\n    defaultBranch: main\ndashboard:\n  port: 0\n');
  const store = createSessionStore(resolvePaths(env));
  const ids = [];
  const now = new Date().toISOString();
  for (let i = 0; i < SESSIONS; i++) {
    const id = await store.reserveId('app', 'app');
    ids.push(id);
    await store.create('app', {
      id, project: 'app', issue: String(i + 1), title: `issue ${i + 1}`, branch: `ao/${id}`, baseBranch: 'main',
      workspacePath: join(work, 'wt', id), agent: 'claude-code', runtimeName: 'tmux', workspaceName: 'worktree',
      runtime: null, status: i % 4 === 0 ? 'merged' : 'working', activity: 'idle',
      activityDetail: null, nativeSessionId: null, pr: null, createdAt: now, updatedAt: now, startedAt: now, lastEvent: null, spawnMs: 200 + (i % 50),
    });
  }
  const started = ao('start', '--no-orchestrator');
  if (started.status !== 0) throw new Error(`ao start failed: ${started.stdout}${started.stderr}`);
  const info = JSON.parse(readFileSync(join(env.AO_HOME, 'daemon.json'), 'utf8'));
  const token = readFileSync(join(env.AO_HOME, 'daemon.token'), 'utf8').trim();

  // One browser, one context per tab: each context has its own connection pool, like 20 people
  // (a browser allows 6 HTTP/1.1 connections per host and profile, and each tab holds one stream).
  context = await chromium.launch({
    executablePath: process.env.AO_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const newTab = async () => (await context.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  const page = await newTab();
  await page.goto(`${info.url}/?token=${token}`);
  await page.waitForSelector('#conn[data-state="live"]');
  await page.waitForSelector(`tr[data-session="${ids[1]}"]`);

  // Latency: the page records when the watched cell first shows the expected text.
  const target = ids[1];
  await page.evaluate((id) => {
    const cell = document.querySelector(`tr[data-session="${id}"] .c-activity`);
    window.__bench = { want: '', at: 0 };
    new MutationObserver(() => {
      const row = document.querySelector(`tr[data-session="${id}"] .c-activity`);
      if (row && row.textContent === window.__bench.want && !window.__bench.at) window.__bench.at = Date.now();
    }).observe(cell.closest('main'), { subtree: true, childList: true, characterData: true });
  }, target);
  const latencies = [];
  for (let i = 0; i < CHANGES; i++) {
    const activity = i % 2 === 0 ? 'active' : 'idle';
    await page.evaluate((want) => (window.__bench = { want, at: 0 }), activity === 'waiting_input' ? 'waiting input' : activity);
    const t0 = Date.now();
    await store.append('app', target, [{ type: 'activity.changed', set: { activity } }]);
    await page.waitForFunction(() => window.__bench.at > 0, null, { timeout: 10_000 });
    latencies.push((await page.evaluate(() => window.__bench.at)) - t0);
  }
  const lat = summarize(latencies);

  // Load: 20 tabs, then CPU and RSS of the daemon.
  for (let i = 1; i < TABS; i++) {
    const p = await newTab();
    await p.goto(`${info.url}/?token=${token}`);
    await p.waitForSelector('#conn[data-state="live"]');
  }
  const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  const cpu = () => {
    const stat = readFileSync(`/proc/${info.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / ticks; // utime + stime, seconds
  };
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${info.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  const measure = async (busy) => {
    const c0 = cpu();
    const t0 = Date.now();
    let peak = rss();
    let n = 0;
    while (Date.now() - t0 < WINDOW_MS) {
      if (busy) {
        const id = ids[1 + (n % (ids.length - 1))];
        await store.append('app', id, [{ type: 'activity.changed', set: { activity: n % 2 ? 'idle' : 'active' } }]);
        n += 1;
      }
      await sleep(busy ? 200 : 500);
      peak = Math.max(peak, rss());
    }
    return { cpuPct: ((cpu() - c0) / ((Date.now() - t0) / 1000)) * 100, rss: rss(), peak, changes: n };
  };
  await sleep(3000); // let the tabs' first loads and the lifecycle's first poll pass
  const idle = await measure(false);
  const busy = await measure(true);

  console.log(`dashboard: ${SESSIONS} sessions, daemon pid ${info.pid}`);
  console.log(`  store change → DOM update (${lat.n} changes): p50 ${lat.p50} ms, p95 ${lat.p95} ms, max ${lat.max} ms   (target < 1000 ms) ${lat.p95 < 1000 ? 'OK' : 'OVER TARGET'}`);
  console.log(`  ${TABS} tabs, idle ${WINDOW_MS / 1000} s:            daemon CPU ${idle.cpuPct.toFixed(1)} %, RSS ${idle.rss.toFixed(1)} MB (peak ${idle.peak.toFixed(1)} MB)`);
  console.log(`  ${TABS} tabs, ${busy.changes} changes in ${WINDOW_MS / 1000} s:   daemon CPU ${busy.cpuPct.toFixed(1)} %, RSS ${busy.rss.toFixed(1)} MB (peak ${busy.peak.toFixed(1)} MB)`);
  process.exitCode = lat.p95 < 1000 ? 0 : 1;
} finally {
  await context?.close().catch(() => {});
  ao('stop');
  rmSync(work, { recursive: true, force: true });
}
