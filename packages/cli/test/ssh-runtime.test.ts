/**
 * `runtime: { plugin: ssh }` end to end with the built `ao`: two real sshd "hosts" on loopback
 * (this machine, each with a root of its own), sessions placed by free slots, send, status, a host
 * stopped mid-run shown as unreachable (not exited) and failing `ao doctor`, attach, kill, restore.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeAgentArgv } from '@ao/testkit/fake-agent';
import { startSshd, type TestSshd } from '@ao/testkit/sshd';
import { createTempDir, createTempRepo, type TempDir, type TempRepo } from '@ao/testkit/temp-repo';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { runAo } from './run-ao.js';

let one: TestSshd;
let two: TestSshd;
let repo: TempRepo;
let dir: TempDir;
let home = '';
let log = '';

const ao = (...args: string[]) => runAo(args, { cwd: repo.path, env: { AO_HOME: home } });

interface Listed {
  id: string;
  status: string;
  activity: string | null;
  activityDetail: string | null;
  runtime: { data?: { host?: string } } | null;
}
const listed = (): Listed[] => JSON.parse(ao('status', '--json').stdout) as Listed[];

function received(): string[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; text?: string })
    .filter((e) => e.type === 'received')
    .map((e) => e.text ?? '');
}

beforeAll(async () => {
  [one, two] = await Promise.all([startSshd('ao-sshd-one'), startSshd('ao-sshd-two')]);
  repo = await createTempRepo({ branch: 'main', files: { 'README.md': '# app\n' } });
  dir = await createTempDir('ao-cli-ssh-');
  home = join(dir.path, 'home');
  log = join(dir.path, 'fake-agent.jsonl');
  const hosts = [one.host('one', { maxSessions: 1 }), two.host('two', { maxSessions: 1 })];
  writeFileSync(
    join(repo.path, 'agent-orchestrator.yaml'),
    [
      'defaults:',
      `  runtime: { plugin: ssh, hosts: ${JSON.stringify(hosts)} }`,
      '  agent: fake',
      'projects:',
      '  app:',
      '    path: .',
      '    defaultBranch: main',
      'agents:',
      `  fake: { command: ${JSON.stringify(fakeAgentArgv(['--log', log]))}, prompt: arg }`,
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  // The hosts are this machine: end ao's tmux servers there, then the servers and temp dirs.
  for (const sshd of [one, two]) {
    try {
      if (sshd) execFileSync('tmux', ['-S', join(sshd.remoteRoot, 'tmux.sock'), 'kill-server'], { stdio: 'ignore' });
    } catch {
      // no server left there (its last session was killed)
    }
  }
  await Promise.all([one?.stop(), two?.stop()]);
  await repo?.cleanup();
  await dir?.cleanup();
});

it('places sessions on two ssh hosts by free slots; send and status work; a host that stops shows its session unreachable, not exited', async () => {
  const first = ao('spawn', '--prompt', 'first task', '--json');
  expect(first.code, first.stderr).toBe(0);
  const second = ao('spawn', '--prompt', 'second task', '--json');
  expect(second.code, second.stderr).toBe(0);
  const ids = [first, second].map((r) => (JSON.parse(r.stdout) as { id: string }).id);

  const sessions = listed();
  const hostOf = (id: string) => sessions.find((s) => s.id === id)?.runtime?.data?.host;
  expect(new Set(ids.map(hostOf))).toEqual(new Set(['one', 'two']));
  // Both hosts are full: a third spawn is refused (or queued), never placed over the limit.
  const third = ao('spawn', '--prompt', 'third task', '--no-queue');
  expect(third.code).not.toBe(0);
  expect(third.stderr).toContain('no ssh host can take another session');

  const onOne = ids.find((id) => hostOf(id) === 'one') as string;
  const onTwo = ids.find((id) => hostOf(id) === 'two') as string;
  // Attaching runs `ssh -t <host> … tmux attach-session` (printed when stdin is not a terminal).
  const attach = ao('session', 'attach', onOne);
  expect(attach.code, attach.stderr).toBe(0);
  expect(attach.stdout).toMatch(/^ssh .* -t 127\.0\.0\.1 -- exec \/bin\/sh -c /);
  expect(attach.stdout).toContain('attach-session -t =');
  const sent = ao('send', onOne, 'hello over ssh: $(echo not run) `x`');
  expect(sent.code, sent.stderr).toBe(0);
  await vi.waitFor(() => expect(received()).toContain('hello over ssh: $(echo not run) `x`'), { timeout: 20_000, interval: 100 });

  // ao doctor checks every host: reachable, tmux, git, the agent's CLI there, memory, load.
  const healthy = ao('doctor');
  expect(healthy.stdout).toMatch(/✓ ssh one +\S+@127\.0\.0\.1:\d+ reachable, tmux \S+, git version \S+, \d+ MiB free, \d+ MiB disk, 1\/1 sessions/);
  expect(healthy.stdout).toContain(`${process.execPath} at ${process.execPath}`);
  expect(healthy.stdout).toMatch(/✓ ssh two /);

  await two.stop();
  const sick = ao('doctor');
  expect(sick.code).toBe(1);
  expect(sick.stdout).toMatch(/✗ ssh two +ssh host two \(\S+@127\.0\.0\.1:\d+\) is unreachable/);
  const during = listed();
  const down = during.find((s) => s.id === onTwo) as Listed;
  expect(down.activity).not.toBe('exited');
  expect(down.status).toBe('working');
  expect(down.activityDetail).toContain('unreachable');
  expect(during.find((s) => s.id === onOne)?.activityDetail ?? '').not.toContain('unreachable');
  const refused = ao('send', onTwo, 'anyone?');
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain('two');

  const killed = ao('session', 'kill', onOne);
  expect(killed.code, killed.stderr).toBe(0);
  expect(listed().find((s) => s.id === onOne)?.status).toBe('killed');

  // Restore while two is still down: back on one, where its workspace is; then it takes messages again.
  const restored = ao('session', 'restore', onOne);
  expect(restored.code, restored.stderr).toBe(0);
  const back = listed().find((s) => s.id === onOne) as Listed;
  expect(back.status).toBe('working');
  expect(back.runtime?.data?.host).toBe('one');
  expect(ao('send', onOne, 'after restore').code).toBe(0);
  await vi.waitFor(() => expect(received()).toContain('after restore'), { timeout: 20_000, interval: 100 });
  expect(ao('session', 'kill', onOne).code).toBe(0);
});
