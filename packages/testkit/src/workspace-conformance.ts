/**
 * The conformance suite every workspace plugin runs (worktree, clone, third-party ones): the
 * behaviour the `Workspace` contract promises, checked against real git repositories.
 *
 *   workspaceConformance('worktree', async () => ({ workspace: plugin.create({}, ctx), cleanup }));
 *
 * Each test gets a fresh repo (branch `main`) and a fresh directory for workspaces. "Merging" a
 * session's work is done the way any plugin can observe it: the repo fetches the workspace's branch
 * and fast-forwards `main` to it.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exec, type Workspace, type WorkspaceCreateOptions, type WorkspaceInfo } from '@ao/core';
import { createTempDir, createTempRepo, type TempDir, type TempRepo } from './temp-repo.js';

export interface WorkspaceUnderTest {
  workspace: Workspace;
  cleanup(): Promise<void>;
}

const ENV_FILE = 'SECRET=from-the-repo\n';
const LOCAL_JSON = '{"local":true}\n';

async function gitIn(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec('git', ['-C', dir, ...args]);
  return stdout.trim();
}

async function errorOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** A node command line, portable: the test's own node binary, no shell. */
function node(script: string): string[] {
  return [process.execPath, '-e', script];
}

export function workspaceConformance(label: string, setup: () => Promise<WorkspaceUnderTest>): void {
  describe(`workspace conformance: ${label}`, () => {
    let under: WorkspaceUnderTest | undefined;
    let repo: TempRepo | undefined;
    let root: TempDir | undefined;

    beforeEach(async () => {
      repo = await createTempRepo({
        files: { 'README.md': '# demo\n', '.gitignore': '.env\npost-create.txt\nnode_modules/\n' },
      });
      // Untracked in the repo, as copyFiles entries usually are: one ignored, one not.
      await writeFile(join(repo.path, '.env'), ENV_FILE);
      await mkdir(join(repo.path, 'config'), { recursive: true });
      await writeFile(join(repo.path, 'config', 'local.json'), LOCAL_JSON);
      root = await createTempDir('ao-workspaces-');
      under = await setup();
    });

    afterEach(async () => {
      await under?.cleanup();
      await root?.cleanup();
      await repo?.cleanup();
      under = repo = root = undefined;
    });

    const ws = (): Workspace => under!.workspace;
    const repoPath = (): string => repo!.path;

    function options(overrides: Partial<WorkspaceCreateOptions> = {}): WorkspaceCreateOptions {
      return {
        sessionId: 'demo-1',
        project: 'demo',
        repoPath: repoPath(),
        baseBranch: 'main',
        branch: 'ao/demo-1',
        path: join(root!.path, 'demo', 'demo-1'),
        ...overrides,
      };
    }

    async function commitIn(dir: string, file: string, content: string): Promise<void> {
      await writeFile(join(dir, file), content);
      await gitIn(dir, 'add', '--', file);
      await gitIn(dir, '-c', 'user.name=ao test', '-c', 'user.email=ao-test@example.invalid', '-c', 'commit.gpgsign=false', 'commit', '--quiet', '-m', `add ${file}`);
    }

    async function mergeIntoMain(info: WorkspaceInfo): Promise<void> {
      await repo!.git('fetch', '--quiet', info.path, info.branch);
      await repo!.git('merge', '--quiet', '--ff-only', 'FETCH_HEAD');
    }

    async function repoHasBranch(branch: string): Promise<boolean> {
      const { exitCode } = await exec('git', ['-C', repoPath(), 'show-ref', '--verify', '--quiet', `refs/heads/${branch}`], { reject: false });
      return exitCode === 0;
    }

    /** Proof a failed create left nothing behind: the same create now succeeds. */
    async function expectNothingLeft(opts: WorkspaceCreateOptions): Promise<void> {
      expect(existsSync(opts.path)).toBe(false);
      expect(await repoHasBranch(opts.branch)).toBe(false);
      const clean = await ws().create({ ...opts, postCreate: [], copyFiles: [] });
      expect(existsSync(clean.path)).toBe(true);
    }

    it('create checks out a new branch from the base branch, copies copyFiles and runs postCreate in order', async () => {
      const repoGit = repo!.git;
      await repoGit('checkout', '--quiet', '-b', 'release');
      await commitIn(repoPath(), 'RELEASE.md', 'release notes\n');
      await repoGit('checkout', '--quiet', 'main');
      const releaseSha = await repoGit('rev-parse', 'release');

      const opts = options({
        baseBranch: 'release',
        copyFiles: ['.env', 'config/local.json', 'not-there.txt'],
        postCreate: [
          node("require('fs').writeFileSync('post-create.txt', process.cwd() + '\\n')"),
          node("require('fs').appendFileSync('post-create.txt', 'second')"),
        ],
      });
      const info = await ws().create(opts);

      expect(info).toEqual({ path: opts.path, branch: opts.branch, baseBranch: 'release', repoPath: repoPath() });
      expect(await gitIn(info.path, 'symbolic-ref', '--short', 'HEAD')).toBe(opts.branch);
      expect(await gitIn(info.path, 'rev-parse', 'HEAD')).toBe(releaseSha);
      expect(await readFile(join(info.path, 'RELEASE.md'), 'utf8')).toBe('release notes\n');
      expect(await readFile(join(info.path, '.env'), 'utf8')).toBe(ENV_FILE);
      expect(await readFile(join(info.path, 'config', 'local.json'), 'utf8')).toBe(LOCAL_JSON);
      expect(existsSync(join(info.path, 'not-there.txt'))).toBe(false);
      const [cwdLine, second] = (await readFile(join(info.path, 'post-create.txt'), 'utf8')).split('\n');
      expect(await realpath(cwdLine ?? '')).toBe(await realpath(info.path));
      expect(second).toBe('second');
      // The user's repo stays on its own branch.
      expect(await repoGit('symbolic-ref', '--short', 'HEAD')).toBe('main');
      // Copied files and ignored postCreate output are not work that removing would lose.
      expect(await ws().state(info)).toEqual({ exists: true, dirty: false, ahead: 0, unmerged: false });
    });

    it('creating a branch that already exists fails with BRANCH_EXISTS and leaves nothing behind', async () => {
      await repo!.git('branch', 'ao/taken');
      const before = await repo!.git('rev-parse', 'ao/taken');
      const opts = options({ branch: 'ao/taken' });
      const error = await errorOf(ws().create(opts));
      expect(error.code).toBe('BRANCH_EXISTS');
      expect(error.message).toContain('ao/taken');
      expect(existsSync(opts.path)).toBe(false);
      expect(await repo!.git('rev-parse', 'ao/taken')).toBe(before);
    });

    it('creating at a path that exists fails with WORKSPACE_FAILED and leaves that directory alone', async () => {
      const opts = options();
      await mkdir(opts.path, { recursive: true });
      await writeFile(join(opts.path, 'keep.txt'), 'mine');
      const error = await errorOf(ws().create(opts));
      expect(error.code).toBe('WORKSPACE_FAILED');
      expect(await readFile(join(opts.path, 'keep.txt'), 'utf8')).toBe('mine');
      expect(await repoHasBranch(opts.branch)).toBe(false);
    });

    it('a failing postCreate fails with WORKSPACE_FAILED, shows its stderr and leaves nothing behind', async () => {
      const opts = options({ postCreate: [node("process.stderr.write('boom from postCreate\\n'); process.exit(3)")] });
      const error = await errorOf(ws().create(opts));
      expect(error.code).toBe('WORKSPACE_FAILED');
      expect(error.message).toContain('boom from postCreate');
      await expectNothingLeft(opts);
    });

    it('a postCreate program that is not installed fails with WORKSPACE_FAILED and leaves nothing behind', async () => {
      const opts = options({ postCreate: [['ao-no-such-program-for-conformance', '--version']] });
      const error = await errorOf(ws().create(opts));
      expect(error.code).toBe('WORKSPACE_FAILED');
      expect(error.message).toContain('ao-no-such-program-for-conformance');
      await expectNothingLeft(opts);
    });

    it('an unknown base branch fails with WORKSPACE_FAILED and leaves nothing behind', async () => {
      const opts = options({ baseBranch: 'no-such-base' });
      const error = await errorOf(ws().create(opts));
      expect(error.code).toBe('WORKSPACE_FAILED');
      expect(error.message).toContain('no-such-base');
      await expectNothingLeft({ ...opts, baseBranch: 'main' });
    });

    it('a repoPath that is not a git repository fails with WORKSPACE_FAILED and creates nothing', async () => {
      const notRepo = join(root!.path, 'not-a-repo');
      await mkdir(notRepo);
      const opts = options({ repoPath: notRepo });
      const error = await errorOf(ws().create(opts));
      expect(error.code).toBe('WORKSPACE_FAILED');
      expect(existsSync(opts.path)).toBe(false);
    });

    it('state reports uncommitted changes, commits ahead and unmerged work', async () => {
      const info = await ws().create(options());
      expect(await ws().state(info)).toEqual({ exists: true, dirty: false, ahead: 0, unmerged: false });

      await writeFile(join(info.path, 'README.md'), '# changed\n');
      expect(await ws().state(info)).toMatchObject({ dirty: true, ahead: 0, unmerged: false });
      await gitIn(info.path, 'checkout', '--', 'README.md');
      await writeFile(join(info.path, 'new.txt'), 'untracked');
      expect(await ws().state(info)).toMatchObject({ dirty: true, ahead: 0, unmerged: false });

      await gitIn(info.path, 'add', 'new.txt');
      expect(await ws().state(info)).toMatchObject({ dirty: true });
      await gitIn(info.path, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false', 'commit', '--quiet', '-m', 'one');
      await commitIn(info.path, 'two.txt', 'two');
      expect(await ws().state(info)).toEqual({ exists: true, dirty: false, ahead: 2, unmerged: true });

      await mergeIntoMain(info);
      expect(await ws().state(info)).toEqual({ exists: true, dirty: false, ahead: 0, unmerged: false });
    });

    it('remove refuses with WORKSPACE_DIRTY on uncommitted changes and keeps them', async () => {
      const info = await ws().create(options());
      await writeFile(join(info.path, 'notes.txt'), 'precious');
      const error = await errorOf(ws().remove(info));
      expect(error.code).toBe('WORKSPACE_DIRTY');
      expect(error.message).toContain('uncommitted');
      expect(error.message).toContain('notes.txt');
      expect(await readFile(join(info.path, 'notes.txt'), 'utf8')).toBe('precious');

      await rm(join(info.path, 'notes.txt'));
      await writeFile(join(info.path, 'README.md'), '# edited, not committed\n');
      expect((await errorOf(ws().remove(info))).code).toBe('WORKSPACE_DIRTY');
      expect(await readFile(join(info.path, 'README.md'), 'utf8')).toBe('# edited, not committed\n');
      expect((await ws().state(info)).exists).toBe(true);
    });

    it('remove refuses with WORKSPACE_DIRTY on commits merged nowhere and keeps them', async () => {
      const info = await ws().create(options());
      await commitIn(info.path, 'feature.txt', 'work');
      const error = await errorOf(ws().remove(info));
      expect(error.code).toBe('WORKSPACE_DIRTY');
      expect(error.message).toMatch(/1 commit\b/);
      expect(existsSync(info.path)).toBe(true);
      expect(await gitIn(info.path, 'log', '-1', '--format=%s')).toBe('add feature.txt');
      expect(await ws().state(info)).toMatchObject({ exists: true, unmerged: true });
    });

    it('remove of a clean, merged workspace removes the directory and the branch', async () => {
      const info = await ws().create(options());
      await commitIn(info.path, 'feature.txt', 'work');
      await mergeIntoMain(info);
      await ws().remove(info);
      expect(existsSync(info.path)).toBe(false);
      expect(await repoHasBranch(info.branch)).toBe(false);
      expect(await ws().state(info)).toEqual({ exists: false, dirty: false, ahead: 0, unmerged: false });
      expect(await readFile(join(repoPath(), 'feature.txt'), 'utf8')).toBe('work');
    });

    it('remove of an untouched workspace with copied files and postCreate output removes it', async () => {
      const info = await ws().create(
        options({ copyFiles: ['.env', 'config/local.json'], postCreate: [node("require('fs').writeFileSync('post-create.txt', 'x')")] }),
      );
      await ws().remove(info);
      expect(existsSync(info.path)).toBe(false);
      expect(await repoHasBranch(info.branch)).toBe(false);
      // The originals in the user's repo are untouched.
      expect(await readFile(join(repoPath(), '.env'), 'utf8')).toBe(ENV_FILE);
    });

    it('remove of a workspace whose directory is already gone succeeds', async () => {
      const info = await ws().create(options());
      await rm(info.path, { recursive: true, force: true });
      await ws().remove(info);
      expect(await repoHasBranch(info.branch)).toBe(false);
      // The branch name is free again.
      const again = await ws().create(options());
      expect(existsSync(again.path)).toBe(true);
    });
  });
}
