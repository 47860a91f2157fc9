import { mkdtemp, mkdir, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exec } from '../src/exec.js';
import {
  assertNothingLost,
  gitAheadCount,
  gitBranchExists,
  gitCurrentBranch,
  gitDefaultBranch,
  gitDeleteBranchIfMerged,
  gitExistingBranches,
  gitHasUnmergedCommits,
  gitIsDirty,
  gitLosableChanges,
  gitRemoteUrl,
  gitRepoRoot,
  gitStatus,
  gitWorktreeAdd,
  gitWorktreeList,
  gitWorktreePrune,
  gitWorktreeRemove,
  parseGitStatus,
  parseGitWorktreeList,
  prepareWorkspace,
} from '../src/git.js';

// Core cannot depend on @ao/testkit (testkit depends on core), so a minimal repo helper lives here.
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'ao-git-test-')));
  dirs.push(dir);
  return dir;
}

async function run(dir: string, ...args: string[]): Promise<string> {
  const identity = ['-c', 'user.name=ao test', '-c', 'user.email=ao-test@example.invalid', '-c', 'commit.gpgsign=false'];
  return (await exec('git', ['-C', dir, ...identity, ...args])).stdout.trim();
}

async function repo(branch = 'main', options: { commit?: boolean } = {}): Promise<string> {
  const dir = await tempDir();
  await run(dir, 'init', '--quiet', `--initial-branch=${branch}`);
  if (options.commit !== false) await commit(dir, 'README.md', '# test\n');
  return dir;
}

async function commit(dir: string, file: string, content: string): Promise<string> {
  await writeFile(join(dir, file), content);
  await run(dir, 'add', '--', file);
  await run(dir, 'commit', '--quiet', '-m', `add ${file}`);
  return run(dir, 'rev-parse', 'HEAD');
}

describe('parseGitStatus', () => {
  it('parses modified, staged, untracked and renamed entries, names with spaces included', () => {
    const out = ' M README.md\0A  new file.txt\0?? dir/untracked\0R  renamed.txt\0old name.txt\0';
    expect(parseGitStatus(out)).toEqual([
      { index: ' ', worktree: 'M', path: 'README.md' },
      { index: 'A', worktree: ' ', path: 'new file.txt' },
      { index: '?', worktree: '?', path: 'dir/untracked' },
      { index: 'R', worktree: ' ', path: 'renamed.txt', origPath: 'old name.txt' },
    ]);
    expect(parseGitStatus('')).toEqual([]);
  });
});

describe('parseGitWorktreeList', () => {
  it('parses branch, detached and bare entries', () => {
    const out = 'worktree /r\nHEAD abc\nbranch refs/heads/main\n\nworktree /w\nHEAD def\ndetached\n\nworktree /b\nbare\n';
    expect(parseGitWorktreeList(out)).toEqual([
      { path: '/r', head: 'abc', branch: 'main', bare: false, detached: false },
      { path: '/w', head: 'def', bare: false, detached: true },
      { path: '/b', bare: true, detached: false },
    ]);
  });
});

describe('gitRepoRoot', () => {
  it('finds the top of the repo from a subdirectory', async () => {
    const dir = await repo();
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    expect(await gitRepoRoot(exec, join(dir, 'a', 'b'))).toBe(dir);
  });

  it('is undefined outside a repository and for a missing directory', async () => {
    const dir = await tempDir();
    expect(await gitRepoRoot(exec, dir)).toBeUndefined();
    expect(await gitRepoRoot(exec, join(dir, 'does-not-exist'))).toBeUndefined();
  });
});

describe('gitDefaultBranch', () => {
  it('is main for a repo on main', async () => {
    expect(await gitDefaultBranch(exec, await repo('main'))).toBe('main');
  });

  it('is master for a repo on master, also while a feature branch is checked out', async () => {
    const dir = await repo('master');
    expect(await gitDefaultBranch(exec, dir)).toBe('master');
    await run(dir, 'checkout', '--quiet', '-b', 'feature');
    expect(await gitDefaultBranch(exec, dir)).toBe('master');
  });

  it('follows origin/HEAD, whatever it is called and whatever is checked out', async () => {
    const origin = await repo('release');
    const clone = await tempDir();
    await exec('git', ['clone', '--quiet', origin, clone]);
    await run(clone, 'checkout', '--quiet', '-b', 'main');
    expect(await gitDefaultBranch(exec, clone)).toBe('release');
  });

  it('is the current branch when it is a trunk name, else the current branch', async () => {
    const dir = await repo('develop');
    await run(dir, 'branch', 'main');
    expect(await gitDefaultBranch(exec, dir)).toBe('develop');
    const other = await repo('production');
    expect(await gitDefaultBranch(exec, other)).toBe('production');
  });

  it('is the unborn branch of a repo without commits', async () => {
    expect(await gitDefaultBranch(exec, await repo('topic', { commit: false }))).toBe('topic');
  });

  it('throws NOT_A_GIT_REPO outside a repository', async () => {
    await expect(gitDefaultBranch(exec, await tempDir())).rejects.toMatchObject({ code: 'NOT_A_GIT_REPO' });
  });
});

describe('gitRemoteUrl and gitCurrentBranch', () => {
  it('reads a remote url and is undefined without that remote', async () => {
    const dir = await repo();
    expect(await gitRemoteUrl(exec, dir)).toBeUndefined();
    await run(dir, 'remote', 'add', 'origin', 'https://example.invalid/acme/app.git');
    await run(dir, 'remote', 'add', 'upstream', '/srv/git/app');
    expect(await gitRemoteUrl(exec, dir)).toBe('https://example.invalid/acme/app.git');
    expect(await gitRemoteUrl(exec, dir, 'upstream')).toBe('/srv/git/app');
  });

  it('names the current branch and is undefined on a detached HEAD', async () => {
    const dir = await repo('trunk');
    expect(await gitCurrentBranch(exec, dir)).toBe('trunk');
    await run(dir, 'checkout', '--quiet', '--detach');
    expect(await gitCurrentBranch(exec, dir)).toBeUndefined();
  });
});

describe('status, ahead and unmerged', () => {
  it('sees untracked and modified files', async () => {
    const dir = await repo();
    expect(await gitIsDirty(exec, dir)).toBe(false);
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'new.txt'), 'x');
    await writeFile(join(dir, 'README.md'), 'changed');
    expect((await gitStatus(exec, dir)).map((e) => e.path).sort()).toEqual(['README.md', 'sub/new.txt']);
    expect(await gitIsDirty(exec, dir)).toBe(true);
  });

  it('counts commits ahead and knows when they are merged or pushed', async () => {
    const dir = await repo();
    await run(dir, 'checkout', '--quiet', '-b', 'feature');
    await commit(dir, 'a.txt', 'a');
    await commit(dir, 'b.txt', 'b');
    expect(await gitAheadCount(exec, dir, 'main', 'feature')).toBe(2);
    expect(await gitAheadCount(exec, dir, 'main', 'no-such-branch')).toBe(0);
    expect(await gitHasUnmergedCommits(exec, dir, 'feature')).toBe(true);
    expect(await gitDeleteBranchIfMerged(exec, dir, 'feature')).toBe(false);

    // Pushed to a remote: the remote-tracking ref keeps the commits.
    const remote = await tempDir();
    await exec('git', ['init', '--quiet', '--bare', remote]);
    await run(dir, 'remote', 'add', 'origin', remote);
    await run(dir, 'push', '--quiet', 'origin', 'feature');
    expect(await gitHasUnmergedCommits(exec, dir, 'feature')).toBe(false);
  });

  it('tells which branches exist, matching names exactly', async () => {
    const dir = await repo();
    await run(dir, 'branch', 'ao/app-1');
    const found = await gitExistingBranches(exec, dir, ['main', 'ao', 'ao/app-1', 'ao/app-2', 'mai']);
    expect([...found].sort()).toEqual(['ao/app-1', 'main']);
    await expect(gitExistingBranches(exec, await tempDir(), ['main'])).rejects.toMatchObject({ code: 'EXEC_FAILED' });
  });

  it('deletes a branch only once it is merged', async () => {
    const dir = await repo();
    await run(dir, 'checkout', '--quiet', '-b', 'feature');
    await commit(dir, 'a.txt', 'a');
    await run(dir, 'checkout', '--quiet', 'main');
    expect(await gitDeleteBranchIfMerged(exec, dir, 'feature')).toBe(false);
    expect(await gitBranchExists(exec, dir, 'feature')).toBe(true);
    await run(dir, 'merge', '--quiet', '--no-edit', '--no-ff', 'feature');
    expect(await gitHasUnmergedCommits(exec, dir, 'feature')).toBe(false);
    expect(await gitDeleteBranchIfMerged(exec, dir, 'feature')).toBe(true);
    expect(await gitBranchExists(exec, dir, 'feature')).toBe(false);
  });
});

describe('worktrees', () => {
  it('adds, lists, removes and prunes worktrees', async () => {
    const dir = await repo();
    const wt = join(await tempDir(), 'wt');
    await gitWorktreeAdd(exec, dir, { path: wt, branch: 'ao/1', base: 'main' });
    expect((await gitWorktreeList(exec, dir)).map((w) => [w.path, w.branch])).toEqual([
      [dir, 'main'],
      [wt, 'ao/1'],
    ]);
    await gitWorktreeRemove(exec, dir, wt);
    expect(await gitWorktreeList(exec, dir)).toHaveLength(1);

    await gitWorktreeAdd(exec, dir, { path: wt, branch: 'ao/2', base: 'main' });
    await rm(wt, { recursive: true, force: true });
    await gitWorktreePrune(exec, dir);
    expect(await gitWorktreeList(exec, dir)).toHaveLength(1);
  });
});

describe('workspace helpers', () => {
  it('does not count files identical to the repo copy as losable', async () => {
    const dir = await repo();
    await writeFile(join(dir, '.env'), 'A=1\n');
    const wt = join(await tempDir(), 'wt');
    await gitWorktreeAdd(exec, dir, { path: wt, branch: 'ao/1', base: 'main' });
    await prepareWorkspace(exec, { repoPath: dir, path: wt, copyFiles: ['.env'] });
    expect(await gitLosableChanges(exec, wt, dir)).toEqual([]);
    await writeFile(join(wt, '.env'), 'A=2\n');
    expect((await gitLosableChanges(exec, wt, dir)).map((e) => e.path)).toEqual(['.env']);
  });

  it('treats a directory that is not a checkout as losable rather than asking an enclosing repo', async () => {
    const dir = await repo();
    await mkdir(join(dir, 'plain'));
    expect(await gitLosableChanges(exec, join(dir, 'plain'), dir)).toHaveLength(1);
  });

  it('refuses copyFiles entries outside the repository', async () => {
    const dir = await repo();
    await expect(prepareWorkspace(exec, { repoPath: dir, path: dir, copyFiles: ['../secret'] })).rejects.toMatchObject({
      code: 'WORKSPACE_FAILED',
    });
  });

  it('names what would be lost', () => {
    expect(() => assertNothingLost({ path: '/w', branch: 'b', uncommitted: [], unmergedCommits: 0 })).not.toThrow();
    expect(() =>
      assertNothingLost({ path: '/w', branch: 'ao/1', uncommitted: [{ index: '?', worktree: '?', path: 'x.txt' }], unmergedCommits: 3 }),
    ).toThrow(/1 uncommitted file \(x\.txt\) and 3 commits on ao\/1/);
  });
});
