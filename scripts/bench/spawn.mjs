// Benchmark: `ao spawn` on the embedded default (worktree + tmux), with the scripted fake agent.
// Reports the wall time of the whole command, the spawn time ao records (workspace + runtime up,
// excluding the agent's own boot) and the time until the agent printed its first line, p50/p95 over N
// spawns, against `ao --version` in the same run.
// Target: spawn p95 < 1 s.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, summarize, timeCommand } from './lib.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'packages/cli/dist/bin.js');
const fakeAgent = join(root, 'packages/testkit/bin/fake-agent.js');
const count = Number(process.env.BENCH_SPAWNS ?? 15);
const work = mkdtempSync(join(tmpdir(), 'ao-bench-spawn-'));
const env = { ...process.env, AO_HOME: join(work, 'home'), NO_COLOR: '1' };
const repo = join(work, 'repo');
try {
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  for (let i = 0; i < 200; i++) writeFileSync(join(repo, `file-${i}.txt`), `content ${i}\n`);
  execFileSync('git', ['-C', repo, 'add', '.']);
  execFileSync('git', ['-C', repo, '-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qm', 'init']);
  writeFileSync(
    join(repo, 'agent-orchestrator.yaml'),
    `defaults:\n  runtime: tmux\n  agent: fake\nprojects:\n  app:\n    path: .\n    defaultBranch: main\nagents:\n  fake: { command: ${JSON.stringify([process.execPath, fakeAgent, '--log', join(work, 'agent.jsonl')])}, prompt: arg }\nlimits:\n  maxConcurrentSessions: 1000\n`,
  );
  const version = summarize(timeCommand([process.execPath, bin, '--version'], { runs: 10, env, cwd: repo }));
  const wall = [];
  const firstLine = [];
  const ids = [];
  const started = () => readFileSync(join(work, 'agent.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'started');
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    const epoch0 = Date.now();
    const r = spawnSync(process.execPath, [bin, 'spawn', '--prompt', `task ${i}`, '--json'], { cwd: repo, env, encoding: 'utf8' });
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error(`ao spawn failed: ${r.stderr}`);
    ids.push(JSON.parse(r.stdout));
    // The agent logs `started` as it prints its first line; wait for it (a signal), then record.
    const deadline = Date.now() + 10_000;
    let entries = [];
    while ((entries = (() => { try { return started(); } catch { return []; } })()).length <= i && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    const entry = entries[i];
    if (!entry) throw new Error('the fake agent never started');
    firstLine.push(entry.ts - epoch0);
  }
  const recorded = summarize(ids.map((s) => s.spawnMs));
  const w = summarize(wall);
  const first = summarize(firstLine);
  console.log(`spawn on the embedded default (${count} spawns, 200-file repo, median / p95)`);
  console.log(`  ao --version (baseline)       ${fmt(version.p50)} / ${fmt(version.p95)}`);
  console.log(`  ao spawn, whole command       ${fmt(w.p50)} / ${fmt(w.p95)}`);
  console.log(`  spawn (worktree + tmux up)    ${fmt(recorded.p50)} / ${fmt(recorded.p95)}`);
  console.log(`  ao spawn → agent's 1st line   ${fmt(first.p50)} / ${fmt(first.p95)}   (target p95 < 1000 ms) ${first.p95 < 1000 ? 'OK' : 'OVER TARGET'}`);
  process.exitCode = first.p95 < 1000 ? 0 : 1;
  for (const s of ids) spawnSync(process.execPath, [bin, 'session', 'kill', s.id], { cwd: repo, env, stdio: 'ignore' });
} finally {
  rmSync(work, { recursive: true, force: true });
}
