/**
 * `Runtime.cleanup` of the ssh runtime (`workspace: sync`), over a real sshd: the worktree on the
 * host is removed only when that loses nothing — commits the host has and this machine lacks are
 * fetched back and keep it; commits made here on top of the host's do not; new gitignored files
 * keep it unless forced, while files ao put there at creation (a copied `.env`) and
 * `node_modules/` do not; a dry run removes nothing.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exec, type RuntimeHandle } from '@ao/core/plugin';
import { createTempRepo, type TempRepo } from '@ao/testkit/temp-repo';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSshRuntimeForTest, startSshd, type SshRuntimeUnderTest, type TestSshd } from './sshd.js';

const GIT_ENV = { GIT_AUTHOR_NAME: 'Agent', GIT_AUTHOR_EMAIL: 'agent@example.com', GIT_COMMITTER_NAME: 'Agent', GIT_COMMITTER_EMAIL: 'agent@example.com' };

let sshd: TestSshd;
let under: SshRuntimeUnderTest;
let repo: TempRepo;

const git = async (cwd: string, ...args: string[]): Promise<string> => (await exec('git', ['-C', cwd, ...args], { env: { ...process.env, ...GIT_ENV } })).stdout.trim();

async function commit(cwd: string, file: string, message: string): Promise<void> {
  await writeFile(join(cwd, file), `${message}\n`);
  await git(cwd, 'add', file);
  await git(cwd, 'commit', '-q', '-m', message);
}

/** A session's local worktree (with an ignored `.env`, copied to the host) and its agent started on the host, then stopped. */
async function startedAndStopped(id: string): Promise<{ handle: RuntimeHandle; local: string; remote: string }> {
  const local = join(under.root, 'worktrees', id);
  await exec('git', ['-C', repo.path, 'worktree', 'add', '-q', '-b', `ao/${id}`, local, 'main']);
  await writeFile(join(local, '.env'), 'SECRET=x\n');
  const handle = await under.runtime.start({ sessionId: id, cwd: local, argv: ['sh', '-c', 'exec sleep 600'] });
  await under.runtime.stop(handle);
  return { handle, local, remote: String(handle.data?.cwd) };
}

beforeAll(async () => {
  sshd = await startSshd();
  under = await createSshRuntimeForTest({ hosts: [sshd.host('h1')] });
  repo = await createTempRepo({ files: { 'README.md': '# demo\n', '.gitignore': '.env\ndist/\nnode_modules/\n' } });
});

afterAll(async () => {
  await under?.cleanup();
  await sshd?.stop();
  await repo?.cleanup();
});

it('keeps a worktree whose commits are not here (fetching them back), and removes it once this machine has them, even built on', async () => {
  const { runtime } = under;
  const { handle, local, remote } = await startedAndStopped('fetch-1');
  await commit(remote, 'late.txt', 'agent: after the stop');

  const kept = await runtime.cleanup?.(handle, { dryRun: false, forceIgnored: false });
  expect(kept?.keep).toContain(`its worktree on ssh host h1 (${remote}) holds work that removing it would lose: commits on branch ao/fetch-1 that are not here`);
  expect(kept?.keep).toContain(`fetched them into ${local}`);
  expect(existsSync(remote)).toBe(true);
  expect(await git(local, 'log', '-1', '--format=%s')).toBe('agent: after the stop');

  // A commit made here on top: the host has never seen it, yet loses nothing.
  await commit(local, 'here.txt', 'human: on top');
  const dry = await runtime.cleanup?.(handle, { dryRun: true, forceIgnored: false });
  expect(dry).toEqual({ note: `its worktree on ssh host h1 (${remote}) too` });
  expect(existsSync(remote)).toBe(true);
  const removed = await runtime.cleanup?.(handle, { dryRun: false, forceIgnored: false });
  expect(removed).toEqual({ note: `its worktree on ssh host h1 (${remote}) removed too` });
  expect(existsSync(remote)).toBe(false);
  // Its worktree entry and branch in the host's clone went with it.
  const hostRepo = String(handle.data?.repo);
  expect(await git(hostRepo, 'worktree', 'list')).not.toContain(remote);
  expect(await git(hostRepo, 'branch', '--list', 'ao/fetch-1')).toBe('');
  // Already gone: nothing to say.
  expect(await runtime.cleanup?.(handle, { dryRun: false, forceIgnored: false })).toEqual({});
});

it('keeps a worktree with new gitignored files unless forced; its copied .env and node_modules do not count', async () => {
  const { runtime } = under;
  const { handle, remote } = await startedAndStopped('ignored-1');
  await mkdir(join(remote, 'node_modules', 'dep'), { recursive: true });
  await writeFile(join(remote, 'node_modules', 'dep', 'index.js'), '// rebuilt by an install\n');
  const clean = await runtime.cleanup?.(handle, { dryRun: true, forceIgnored: false });
  expect(clean).toEqual({ note: `its worktree on ssh host h1 (${remote}) too` });

  await mkdir(join(remote, 'dist'));
  await writeFile(join(remote, 'dist', 'out.js'), '// built by the agent\n');
  const kept = await runtime.cleanup?.(handle, { dryRun: false, forceIgnored: false });
  expect(kept?.keep).toContain('gitignored files that would be deleted with it (dist/)');
  expect(kept?.keep).not.toContain('.env');
  expect(existsSync(remote)).toBe(true);

  const forced = await runtime.cleanup?.(handle, { dryRun: false, forceIgnored: true });
  expect(forced).toEqual({ note: `its worktree on ssh host h1 (${remote}) removed too` });
  expect(existsSync(remote)).toBe(false);
});
