// Benchmark: the ssh runtime next to tmux, through the real `ao` and a real sshd on loopback (the
// "host" is this machine, so the figures are ssh's and ao's own cost, without network latency).
// Reports p50/p95 of `ao spawn` (whole command and the spawn time ao records: workspace + runtime
// up) and of `ao send`, for runtime tmux, ssh with workspace: shared and ssh with workspace: sync
// (the branch pushed to a clone on the host, a worktree there).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, summarize } from './lib.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'packages/cli/dist/bin.js');
const fakeAgent = join(root, 'packages/testkit/bin/fake-agent.js');
const { startSshd } = await import(join(root, 'packages/testkit/dist/sshd.js'));
const count = Number(process.env.BENCH_SPAWNS ?? 8);
const work = mkdtempSync(join(tmpdir(), 'ao-bench-ssh-'));
const sshd = await startSshd('bench-sshd');
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

function repoWith(name, runtime) {
  const repo = join(work, name);
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  for (let i = 0; i < 200; i++) writeFileSync(join(repo, `file-${i}.txt`), `content ${i}\n`);
  execFileSync('git', ['-C', repo, 'add', '.']);
  execFileSync('git', ['-C', repo, '-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qm', 'init']);
  writeFileSync(
    join(repo, 'agent-orchestrator.yaml'),
    `defaults:\n  runtime: ${runtime}\n  agent: fake\nprojects:\n  app:\n    path: .\n    defaultBranch: main\nagents:\n  fake: { command: ${JSON.stringify([process.execPath, fakeAgent])}, prompt: arg }\nlimits:\n  maxConcurrentSessions: 1000\n`,
  );
  return repo;
}

function measure(label, runtime) {
  const repo = repoWith(label.replace(/\W+/g, '-'), runtime);
  const env = { ...process.env, AO_HOME: join(work, `home-${label.replace(/\W+/g, '-')}`), NO_COLOR: '1' };
  const ao = (...args) => spawnSync(process.execPath, [bin, ...args], { cwd: repo, env, encoding: 'utf8' });
  const wall = [];
  const send = [];
  const sessions = [];
  for (let i = 0; i < count; i++) {
    let t0 = process.hrtime.bigint();
    const r = ao('spawn', '--prompt', `task ${i}`, '--json');
    wall.push(ms(t0));
    if (r.status !== 0) throw new Error(`${label}: ao spawn failed: ${r.stderr}`);
    const session = JSON.parse(r.stdout);
    sessions.push(session);
    t0 = process.hrtime.bigint();
    const s = ao('send', session.id, `message ${i}`);
    send.push(ms(t0));
    if (s.status !== 0) throw new Error(`${label}: ao send failed: ${s.stderr}`);
  }
  for (const s of sessions) ao('session', 'kill', s.id);
  const [w, rec, snd] = [summarize(wall), summarize(sessions.map((s) => s.spawnMs)), summarize(send)];
  console.log(`  ${label.padEnd(22)} ${fmt(w.p50)} / ${fmt(w.p95)}   ${fmt(rec.p50)} / ${fmt(rec.p95)}   ${fmt(snd.p50)} / ${fmt(snd.p95)}`);
}

try {
  const hosts = (extra) => `{ plugin: ssh, hosts: ${JSON.stringify([sshd.host('loopback', { maxSessions: 1000 })])}${extra} }`;
  console.log(`ssh runtime vs tmux (${count} spawns each, 200-file repo, median / p95; load ${(await import('node:os')).loadavg()[0].toFixed(1)})`);
  console.log(`  ${'runtime'.padEnd(22)} ${'ao spawn (whole)'.padEnd(21)}   ${'spawn recorded'.padEnd(21)}   ao send`);
  measure('tmux', 'tmux');
  measure('ssh, workspace shared', hosts(', workspace: shared'));
  measure('ssh, workspace sync', hosts(''));
} finally {
  spawnSync('tmux', ['-S', join(sshd.remoteRoot, 'tmux.sock'), 'kill-server'], { stdio: 'ignore' });
  await sshd.stop();
  rmSync(work, { recursive: true, force: true });
}
