/**
 * `ao session cleanup` with `runtime: { plugin: ssh }` and `workspace: sync`, with the built `ao`
 * and a real sshd on loopback: the session's worktree on the host goes with its local workspace
 * when that loses nothing, is kept (with the session) when it holds uncommitted work, and is left
 * (the local cleanup still done) when the host is down.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeAgentArgv } from '@ao/testkit/fake-agent';
import { startSshd, type TestSshd } from '@ao/testkit/sshd';
import { createTempDir, createTempRepo, type TempDir, type TempRepo } from '@ao/testkit/temp-repo';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runAo } from './run-ao.js';

let host: TestSshd;
let repo: TempRepo;
let dir: TempDir;
let home = '';

const ao = (...args: string[]) => runAo(args, { cwd: repo.path, env: { AO_HOME: home } });
const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-C', cwd, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'Agent', GIT_AUTHOR_EMAIL: 'agent@example.com', GIT_COMMITTER_NAME: 'Agent', GIT_COMMITTER_EMAIL: 'agent@example.com' },
  }).trim();

/** What `ls` over ssh shows in the host's workspaces directory. */
const remoteWorkspaces = (): string[] =>
  execFileSync(
    'ssh',
    ['-i', host.identityFile, '-o', `UserKnownHostsFile=${host.knownHosts}`, '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-F', 'none', '-p', String(host.port), `${host.user}@127.0.0.1`, 'ls', '-1', `${host.remoteRoot}/workspaces`],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter(Boolean);

interface Spawned {
  id: string;
  local: string;
  remote: string;
}

function spawnAndKill(prompt: string, beforeKill?: (s: Spawned) => void): Spawned {
  const spawned = ao('spawn', '--prompt', prompt, '--json');
  expect(spawned.code, spawned.stderr).toBe(0);
  const id = (JSON.parse(spawned.stdout) as { id: string }).id;
  const listed = JSON.parse(ao('status', '--json').stdout) as { id: string; workspacePath: string; runtime: { data: { cwd: string } } }[];
  const s = listed.find((l) => l.id === id);
  expect(s?.runtime.data.cwd).toContain(`${host.remoteRoot}/workspaces/`);
  const session = { id, local: s?.workspacePath as string, remote: s?.runtime.data.cwd as string };
  beforeKill?.(session);
  const killed = ao('session', 'kill', id);
  expect(killed.code, killed.stderr).toBe(0);
  return session;
}

beforeAll(async () => {
  host = await startSshd('ao-sshd-cleanup');
  repo = await createTempRepo({ branch: 'main', files: { 'README.md': '# app\n' } });
  dir = await createTempDir('ao-cli-ssh-cleanup-');
  home = join(dir.path, 'home');
  writeFileSync(
    join(repo.path, 'agent-orchestrator.yaml'),
    [
      'defaults:',
      `  runtime: { plugin: ssh, workspace: sync, hosts: ${JSON.stringify([host.host('one', { maxSessions: 4 })])} }`,
      '  agent: fake',
      'projects:',
      '  app:',
      '    path: .',
      '    defaultBranch: main',
      'agents:',
      `  fake: { command: ${JSON.stringify(fakeAgentArgv(['--log', join(dir.path, 'agent.jsonl')]))}, prompt: arg }`,
      '',
    ].join('\n'),
  );
  git(repo.path, 'add', 'agent-orchestrator.yaml');
  git(repo.path, 'commit', '-q', '-m', 'ao config');
});

afterAll(async () => {
  try {
    if (host) execFileSync('tmux', ['-S', join(host.remoteRoot, 'tmux.sock'), 'kill-server'], { stdio: 'ignore' });
  } catch {
    // no server left there
  }
  await host?.stop();
  await repo?.cleanup();
  await dir?.cleanup();
});

const name = (s: Spawned) => s.remote.split('/').pop() as string;

it('removes the worktree on the host with the local workspace once the branch is merged', () => {
  // The agent commits on the host; kill fetches the commit back; the branch is merged here.
  const merged = spawnAndKill('merged work', (s) => {
    writeFileSync(join(s.remote, 'feature.txt'), 'done\n');
    git(s.remote, 'add', 'feature.txt');
    git(s.remote, 'commit', '-q', '-m', 'agent: feature');
  });
  expect(existsSync(join(merged.local, 'feature.txt'))).toBe(true);
  git(repo.path, 'merge', '-q', '--no-edit', git(merged.local, 'rev-parse', '--abbrev-ref', 'HEAD'));
  expect(remoteWorkspaces()).toContain(name(merged));

  const cleaned = ao('session', 'cleanup');
  expect(cleaned.code, cleaned.stderr).toBe(0);
  expect(cleaned.stdout).toContain(`removed ${merged.id} (${merged.local}); its worktree on ssh host one (${merged.remote}) removed too`);
  expect(remoteWorkspaces()).not.toContain(name(merged));
  expect(existsSync(merged.local)).toBe(false);
});

it('keeps a session whose worktree on the host holds uncommitted work, and says so', () => {
  const dirty = spawnAndKill('dirty work', (s) => writeFileSync(join(s.remote, 'notes.txt'), 'not committed\n'));
  const cleaned = ao('session', 'cleanup');
  expect(cleaned.code, cleaned.stderr).toBe(0);
  expect(cleaned.stdout).toContain(`kept ${dirty.id}: its worktree on ssh host one (${dirty.remote}) holds work that removing it would lose: 1 uncommitted file (notes.txt)`);
  expect(remoteWorkspaces()).toContain(name(dirty));
  expect(existsSync(dirty.local)).toBe(true);
});

it('with the host down, cleans up here and says the worktree on the host was left and how to remove it', async () => {
  const stranded = spawnAndKill('stranded work');
  await host.stop();
  const down = ao('session', 'cleanup');
  expect(down.code, down.stderr).toBe(0);
  expect(down.stdout).toContain(`removed ${stranded.id} (${stranded.local}); its worktree on ssh host one (${stranded.remote}) was left:`);
  expect(down.stdout).toContain(`remove it with: ssh -p ${host.port} ${host.user}@127.0.0.1 "git -C `);
  expect(existsSync(stranded.local)).toBe(false);
});
