/**
 * `workspace: sync`: the session's branch is pushed to a clone on the host, the agent works in a
 * worktree there (another path than the local one), and its commits come back to the local
 * workspace; a restore finds the remote workspace, uncommitted work included.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exec, type RuntimeHandle } from '@ao/core/plugin';
import { createTempRepo, type TempRepo } from '@ao/testkit/temp-repo';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createSshRuntimeForTest, startSshd, type SshRuntimeUnderTest, type TestSshd } from './sshd.js';

// An agent that records where it runs and what it was given, commits a file, leaves one file
// uncommitted, and commits again each time a line is typed into it.
const AGENT = `
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const git = (...args) => execFileSync('git', args, { stdio: 'ignore' });
const env = fs.existsSync('.env') ? fs.readFileSync('.env', 'utf8') : null;
const restored = fs.existsSync('scratch.txt');
fs.writeFileSync('where.json', JSON.stringify({ cwd: process.cwd(), argv: process.argv.slice(2), env, workspaceVar: process.env.AO_WORKSPACE, restored }));
git('add', 'where.json');
git('commit', '-q', '-m', restored ? 'agent: restored' : 'agent: first commit');
fs.writeFileSync('scratch.txt', 'uncommitted work\\n');
let n = 0;
process.stdout.write('ready> ');
process.stdin.on('data', (d) => {
  n += 1;
  fs.writeFileSync('more-' + n + '.txt', String(d));
  git('add', 'more-' + n + '.txt');
  git('commit', '-q', '-m', 'agent: more ' + n);
  process.stdout.write('committed ' + n + '\\n');
});
`;

const GIT_ENV = { GIT_AUTHOR_NAME: 'Agent', GIT_AUTHOR_EMAIL: 'agent@example.com', GIT_COMMITTER_NAME: 'Agent', GIT_COMMITTER_EMAIL: 'agent@example.com' };

let sshd: TestSshd;
let under: SshRuntimeUnderTest;
let repo: TempRepo;
let local = '';
let agentFile = '';
const handles: RuntimeHandle[] = [];

const git = async (cwd: string, ...args: string[]): Promise<string> => (await exec('git', ['-C', cwd, ...args])).stdout.trim();

beforeAll(async () => {
  sshd = await startSshd();
  under = await createSshRuntimeForTest({ hosts: [sshd.host('h1')], postCreate: [['sh', '-c', 'echo built > post-create.txt']] });
  repo = await createTempRepo({ files: { 'README.md': '# demo\n', '.gitignore': '.env\npost-create.txt\nscratch.txt\nnode_modules/\n' } });
  // The workspace plugin's part, done here by hand: a worktree on the session branch, with an
  // ignored .env copied in and an ignored directory that must not travel.
  local = join(under.root, 'worktrees', 'demo-1');
  await exec('git', ['-C', repo.path, 'worktree', 'add', '-q', '-b', 'ao/demo-1', local, 'main']);
  await writeFile(join(local, '.env'), 'SECRET=from-the-repo\n');
  await mkdir(join(local, 'node_modules', 'big'), { recursive: true });
  await writeFile(join(local, 'node_modules', 'big', 'index.js'), '// not copied\n');
  agentFile = join(under.root, 'agent.cjs');
  await writeFile(agentFile, AGENT);
});

afterAll(async () => {
  for (const handle of handles) await under?.runtime.stop(handle).catch(() => undefined);
  await under?.cleanup();
  await sshd?.stop();
  await repo?.cleanup();
});

it('runs the agent in a worktree on the host and brings its commits back to the local branch; a restore finds its uncommitted work', async () => {
  const { runtime } = under;
  const start = () =>
    runtime.start({
      sessionId: 'demo-1',
      cwd: local,
      argv: [process.execPath, agentFile, `--workspace=${local}`, join(local, 'src')],
      env: { ...GIT_ENV, AO_WORKSPACE: local },
    });
  const handle = await start();
  handles.push(handle);
  const remote = String(handle.data?.cwd);
  expect(remote.startsWith(sshd.remoteRoot)).toBe(true);
  expect(remote).not.toBe(local);
  expect(handle.data?.host).toBe('h1');

  // The first commit is made on the host; a liveness listing sees the branch move and fetches it.
  await vi.waitFor(
    async () => {
      await runtime.aliveMany([handle]);
      expect(await git(local, 'log', '-1', '--format=%s')).toBe('agent: first commit');
    },
    { timeout: 20_000, interval: 100 },
  );
  const where = JSON.parse(readFileSync(join(local, 'where.json'), 'utf8')) as Record<string, unknown>;
  expect(where).toEqual({
    cwd: remote,
    argv: [`--workspace=${remote}`, join(remote, 'src')],
    env: 'SECRET=from-the-repo\n',
    workspaceVar: remote,
    restored: false,
  });
  expect(readFileSync(join(remote, 'post-create.txt'), 'utf8')).toBe('built\n');
  expect(existsSync(join(remote, 'node_modules'))).toBe(false);
  // The local checkout moved with its branch: clean, nothing to lose.
  expect(await git(local, 'status', '--porcelain')).toBe('');

  // A commit made just before a kill is fetched back by the stop.
  await vi.waitFor(async () => expect(await runtime.capture(handle)).toContain('ready>'), { timeout: 15_000, interval: 50 });
  await runtime.sendText(handle, 'one more');
  await vi.waitFor(async () => expect(await runtime.capture(handle)).toContain('committed 1'), { timeout: 15_000, interval: 50 });
  await runtime.stop(handle);
  expect(await git(local, 'log', '-1', '--format=%s')).toBe('agent: more 1');
  expect(await runtime.isAlive(handle)).toBe(false);

  // Restore: same host, same remote workspace, its uncommitted file still there.
  const again = await start();
  handles.push(again);
  expect(again.data?.cwd).toBe(remote);
  await vi.waitFor(
    async () => {
      await runtime.aliveMany([again]);
      expect(await git(local, 'log', '-1', '--format=%s')).toBe('agent: restored');
    },
    { timeout: 20_000, interval: 100 },
  );
  expect((JSON.parse(readFileSync(join(local, 'where.json'), 'utf8')) as { restored: boolean }).restored).toBe(true);
});

it('refuses a workspace that is not a git checkout, saying what to configure', async () => {
  const plain = join(under.root, 'plain');
  await mkdir(plain, { recursive: true });
  const error = await under.runtime.start({ sessionId: 'plain-1', cwd: plain, argv: ['true'] }).catch((e: unknown) => e as Error & { code?: string });
  expect((error as { code?: string }).code).toBe('RUNTIME_FAILED');
  expect((error as Error).message).toContain('workspace: shared');
});
