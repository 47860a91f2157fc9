// Benchmark: what local CI (scm-local) adds to a project's own test run, on a small library whose
// `npm test` runs eslint, then tape under nyc — the case where a bare checkout fails with
// `eslint: not found`. Baseline, measured in the same run: `npm test` in the user's checkout.
// Measured: `runCi` on a new commit each time, until its result is recorded (checkout,
// dependencies, the same `npm test`, the report; the checkout is removed after that), with
// `dependencies: auto` (the user's checkout has node_modules for the same lockfile: reused) and
// with `dependencies: install` (`npm ci --prefer-offline`, from npm's cache); each CI run is
// paired with a baseline run just before it.
// Target: local CI adds ≤ 2 s over the bare test run (dependencies reused, not reinstalled).
// Needs the built packages (`pnpm build`) and, the first time, npm's registry or cache for
// eslint, tape and nyc.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmt, summarize, timeCommand } from './lib.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { createPluginContext, silentLogger } = await import(pathToFileURL(join(root, 'packages/core/dist/index.js')).href);
const { default: scmLocal } = await import(pathToFileURL(join(root, 'packages/plugins/scm-local/dist/index.js')).href);

const runs = Number(process.env.BENCH_CI_RUNS ?? 5);
const installRuns = Number(process.env.BENCH_CI_INSTALL_RUNS ?? 2);
const work = mkdtempSync(join(tmpdir(), 'ao-bench-local-ci-'));
const repo = join(work, 'lib');
const ws = join(work, 'ws');
const git = (cwd, ...args) => execFileSync('git', ['-C', cwd, '-c', 'user.name=b', '-c', 'user.email=b@b', ...args], { encoding: 'utf8' }).trim();

/** A small library: 40 tape tests of a few functions, linted, under coverage. */
function writeLibrary() {
  mkdirSync(join(repo, 'test'), { recursive: true });
  writeFileSync(
    join(repo, 'package.json'),
    JSON.stringify({ name: 'bench-lib', version: '1.0.0', private: true, scripts: { test: 'eslint . && nyc --reporter=text tape test/*.js' } }, null, 2),
  );
  writeFileSync(join(repo, 'eslint.config.js'), "module.exports = [{ files: ['**/*.js'], languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable' } }, rules: { 'no-unused-vars': 'error' } }];\n");
  writeFileSync(join(repo, 'index.js'), "module.exports = { add: (a, b) => a + b, slug: (s) => s.toLowerCase().replace(/\\s+/g, '-'), pad: (s, n) => String(s).padStart(n, '0') };\n");
  const tests = Array.from({ length: 40 }, (_, i) => `test('case ${i}', (t) => { t.equal(add(${i}, 1), ${i + 1}); t.equal(slug('A B ${i}'), 'a-b-${i}'); t.equal(pad(${i}, 3).length, 3); t.end(); });`);
  writeFileSync(join(repo, 'test', 'index.js'), `const test = require('tape');\nconst { add, slug, pad } = require('..');\n${tests.join('\n')}\n`);
  writeFileSync(join(repo, '.gitignore'), 'node_modules/\n.nyc_output/\ncoverage/\n');
}

try {
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  writeLibrary();
  execFileSync('npm', ['install', '--save-dev', '--prefer-offline', '--no-audit', '--no-fund', 'eslint@9', 'tape@5', 'nyc@17'], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'library');
  // The session's workspace: a worktree without node_modules (the agent never installed them).
  git(repo, 'worktree', 'add', '-q', '-b', 'feature', ws, 'main');

  const env = { ...process.env, CI: 'true' };
  timeCommand(['npm', 'test'], { runs: 1, warmup: 1, cwd: repo, env });

  const ctx = createPluginContext({
    configDir: work,
    env: { ...process.env, AO_HOME: join(work, 'home') },
    logger: silentLogger,
    project: { name: 'lib', path: repo, defaultBranch: 'main' },
  });
  let change = 0;
  /**
   * `count` CI runs, each on a new commit, each paired with a baseline `npm test` in the user's
   * checkout right before it: on a busy machine the difference of a pair is steadier than the
   * difference of two medians.
   */
  async function measure(config, count) {
    const scm = await scmLocal.create(scmLocal.configSchema.parse(config), ctx);
    const wall = [];
    const base = [];
    const added = [];
    const phases = { checkoutMs: [], dependenciesMs: [], commandMs: [] };
    const recorded = [];
    const cleanup = [];
    const states = new Set();
    for (let i = 0; i < count; i++) {
      writeFileSync(join(ws, 'CHANGES.md'), `change ${++change}\n`);
      git(ws, 'add', 'CHANGES.md');
      git(ws, 'commit', '-qm', `change ${change}`);
      const pr = await scm.openPullRequest({ project: 'lib', branch: 'feature', baseBranch: 'main', title: 'bench', workspacePath: ws });
      const [baseline] = timeCommand(['npm', 'test'], { runs: 1, warmup: 0, cwd: repo, env });
      const epoch0 = Date.now();
      const t0 = process.hrtime.bigint();
      const ci = await scm.runCi(pr);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const record = (await scm.getPullRequest(pr.id)).ci[ci.sha];
      // The result is recorded (and seen by the lifecycle) before the checkout is deleted.
      const resultMs = Date.parse(record.finishedAt) - epoch0;
      wall.push(ms);
      recorded.push(resultMs);
      cleanup.push(ms - resultMs);
      base.push(baseline);
      added.push(resultMs - baseline);
      for (const [phase, list] of Object.entries(phases)) list.push(record.timings?.[phase] ?? 0);
      states.add(`${ci.state}${ci.state === 'failing' ? `: ${ci.logTail.split('\n').find((l) => /not found|Error/.test(l)) ?? ''}` : ''}`);
    }
    const phase = Object.fromEntries(Object.entries(phases).map(([name, list]) => [name, summarize(list)]));
    return { wall: summarize(wall), recorded: summarize(recorded), cleanup: summarize(cleanup), base: summarize(base), added: summarize(added), phase, states: [...states].join('; ') };
  }

  const bare = await measure({ ci: { command: ['npm', 'test'], dependencies: 'none' } }, 1);
  const reuse = await measure({ ci: ['npm', 'test'] }, runs);
  const install = await measure({ ci: { command: ['npm', 'test'], dependencies: 'install' } }, installRuns);

  const overhead = reuse.added.p50;
  const p = (phase) => `${fmt(phase.p50)} / ${fmt(phase.p95)}`;
  console.log(`local CI on a small library (eslint + tape under nyc; median / p95 of ${runs} runs, each paired with a baseline run)`);
  console.log(`  npm test in the user's checkout (baseline)  ${p(reuse.base)}`);
  console.log(`  CI, bare checkout (dependencies: none)      ${fmt(bare.wall.p50)}   ${bare.states}`);
  console.log(`  CI, dependencies reused (auto): result in   ${p(reuse.recorded)}   ${reuse.states}`);
  console.log(`    checkout (git worktree add)               ${p(reuse.phase.checkoutMs)}`);
  console.log(`    hard-linking node_modules                 ${p(reuse.phase.dependenciesMs)}`);
  console.log(`    npm test in the CI checkout               ${p(reuse.phase.commandMs)}   (cold tool caches: nyc's is keyed by path)`);
  console.log(`    then removing the checkout                ${p(reuse.cleanup)}   (after the result is recorded)`);
  console.log(`    result: added over its paired baseline    ${p(reuse.added)}   (target ≤ 2000 ms) ${overhead <= 2000 ? 'OK' : 'OVER TARGET'}`);
  console.log(`  CI, npm ci --prefer-offline: result in      ${p(install.recorded)}   ${install.states} (${installRuns} runs)`);
  console.log(`    npm ci                                    ${p(install.phase.dependenciesMs)}`);
  console.log(`    result: added over its paired baseline    ${p(install.added)}`);
  process.exitCode = overhead <= 2000 && reuse.states === 'passing' ? 0 : 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
