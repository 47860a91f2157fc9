/**
 * Workspaces on top of the git helper, shared by the workspace plugins (worktree, clone): setting a
 * checkout up, and refusing to remove one while it holds work that exists nowhere else.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import type { Exec, ExecResult } from './contracts/plugin.js';
import { AoError, describeError, isAoError } from './errors.js';
import { git, gitExistingBranches, gitStatus, type GitStatusEntry } from './git.js';

export interface PrepareWorkspaceOptions {
  repoPath: string;
  path: string;
  copyFiles?: readonly string[];
  postCreate?: readonly (readonly string[])[];
}

/**
 * Checks a workspace can be created before anything is touched: `path` must not exist
 * (`WORKSPACE_FAILED`), `branch` must not exist in the repo (`BRANCH_EXISTS`) and `baseBranch` must.
 */
export async function assertWorkspaceCreatable(
  exec: Exec,
  options: { repoPath: string; path: string; branch: string; baseBranch: string },
): Promise<void> {
  const { repoPath, path, branch, baseBranch } = options;
  if (existsSync(path)) {
    throw new AoError('WORKSPACE_FAILED', `Workspace path ${path} already exists: remove it or clean up the session that used it (ao session cleanup)`, {
      details: { path },
    });
  }
  const existing = await gitExistingBranches(exec, repoPath, [branch, baseBranch]).catch((error: unknown) => {
    throw new AoError('WORKSPACE_FAILED', `Cannot read the branches of ${repoPath} (is it a git repository?): ${describeError(error)}`, {
      cause: error,
      details: { repoPath },
    });
  });
  if (existing.has(branch)) {
    throw new AoError(
      'BRANCH_EXISTS',
      `Branch ${branch} already exists in ${repoPath}: an earlier session may still own it. Clean that session up ` +
        `(ao session cleanup), delete the branch (git branch -d ${branch}) or spawn with another branch name.`,
      { details: { branch, repoPath } },
    );
  }
  if (!existing.has(baseBranch)) {
    throw new AoError(
      'WORKSPACE_FAILED',
      `Base branch ${baseBranch} not found in ${repoPath}: set the project's defaultBranch to an existing branch (git branch --list)`,
      { details: { repoPath, baseBranch } },
    );
  }
}

/**
 * Copies `copyFiles` (relative paths; files or directories) from the repo into a fresh checkout
 * when present, then runs each `postCreate` argv in it. Throws `WORKSPACE_FAILED` with the failing
 * command's stderr tail; the caller removes the checkout.
 */
export async function prepareWorkspace(exec: Exec, options: PrepareWorkspaceOptions): Promise<void> {
  for (const file of options.copyFiles ?? []) {
    const rel = normalize(file);
    if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) {
      throw new AoError('WORKSPACE_FAILED', `copyFiles entry "${file}" must be a path inside the repository`, { details: { file } });
    }
    const from = join(options.repoPath, rel);
    if (!existsSync(from)) continue;
    const to = join(options.path, rel);
    await mkdir(dirname(to), { recursive: true });
    await cp(from, to, { recursive: true, force: true });
  }
  for (const argv of options.postCreate ?? []) {
    const [file, ...args] = argv;
    if (!file) continue;
    let result: ExecResult;
    try {
      result = await exec(file, args, { cwd: options.path, reject: false });
    } catch (error) {
      throw new AoError('WORKSPACE_FAILED', `postCreate command \`${argv.join(' ')}\` could not run: ${describeError(error)}`, {
        cause: error,
        details: { command: [...argv] },
      });
    }
    if (result.exitCode !== 0) {
      const tail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-10).join('\n');
      throw new AoError(
        'WORKSPACE_FAILED',
        `postCreate command \`${argv.join(' ')}\` failed (exit ${result.exitCode})${tail ? `:\n${tail}` : ''}\n` +
          'Fix the command in the project config (workspace postCreate) and spawn again.',
        { details: { command: [...argv], exitCode: result.exitCode, stderr: result.stderr } },
      );
    }
  }
}

/**
 * Uncommitted changes at `path` that exist nowhere else: every status entry except files whose
 * content is identical to the same file in `repoPath` (copied `.env` files and the like, which
 * removing the workspace does not lose).
 */
export async function gitLosableChanges(exec: Exec, path: string, repoPath: string): Promise<GitStatusEntry[]> {
  // Without its own `.git`, `git -C path` would report on whatever repo encloses `path`.
  if (!existsSync(join(path, '.git'))) return [{ index: '?', worktree: '?', path: `${path} (not a git checkout)` }];
  const entries = await gitStatus(exec, path);
  const losable: GitStatusEntry[] = [];
  for (const entry of entries) {
    const unstagedOnly = entry.index === '?' || entry.index === ' ';
    if (unstagedOnly && entry.worktree !== 'D' && (await sameFile(join(path, entry.path), join(repoPath, entry.path)))) continue;
    losable.push(entry);
  }
  return losable;
}

/**
 * Directory names whose content is rebuilt by a tool (installs, caches, virtualenvs): an ignored
 * path inside one is not work that removing a workspace loses.
 */
export const REGENERABLE_DIRS: readonly string[] = ['node_modules', '.venv', '__pycache__', '.pytest_cache', '.turbo', '.next'];

/**
 * Gitignored files and directories at `path` that removing it would lose: `git ls-files --others
 * --ignored --directory` (a wholly ignored directory is one entry), minus anything inside a
 * {@link REGENERABLE_DIRS} directory and files identical to the same file in `repoPath` (copied
 * `.env` files). At most `limit` paths, relative to `path`.
 */
export async function gitIgnoredLosable(exec: Exec, path: string, repoPath: string, limit = 10): Promise<string[]> {
  if (!existsSync(join(path, '.git'))) return [];
  const [entries, baseline] = await Promise.all([ignoredEntries(exec, path), readFile(await baselineFile(exec, path), 'utf8').catch(() => '')]);
  const atCreate = new Set(baseline.split('\0'));
  const losable: string[] = [];
  for (const entry of entries) {
    if (atCreate.has(entry) || entry.split('/').some((part) => REGENERABLE_DIRS.includes(part))) continue;
    if (!entry.endsWith('/') && (await sameFile(join(path, entry), join(repoPath, entry)))) continue;
    losable.push(entry);
    if (losable.length >= limit) break;
  }
  return losable;
}

/**
 * Remembers the ignored paths a fresh workspace at `path` holds (copied files, `postCreate`
 * output): made by ao, so {@link gitIgnoredLosable} does not count them as work. Kept in the
 * checkout's own git dir, which goes with it.
 */
export async function gitRecordIgnoredBaseline(exec: Exec, path: string): Promise<void> {
  await writeFile(await baselineFile(exec, path), (await ignoredEntries(exec, path)).join('\0'));
}

async function ignoredEntries(exec: Exec, path: string): Promise<string[]> {
  // NUL-terminated output: `git` trims a final newline only, so nothing of a name is lost.
  const stdout = await git(exec, path, ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory']);
  return stdout.split('\0').filter((entry) => entry !== '');
}

async function baselineFile(exec: Exec, path: string): Promise<string> {
  return join(await git(exec, path, ['rev-parse', '--absolute-git-dir']), 'ao-ignored-at-create');
}

async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [x, y] = await Promise.all([readFile(a), readFile(b)]);
    return x.equals(y);
  } catch {
    return false;
  }
}

/** Throws `WORKSPACE_DIRTY` naming what removing `path` would lose; returns when nothing would. */
export function assertNothingLost(facts: { path: string; branch: string; uncommitted: readonly GitStatusEntry[]; unmergedCommits: number }): void {
  const { path, branch, uncommitted, unmergedCommits } = facts;
  if (uncommitted.length === 0 && unmergedCommits === 0) return;
  const lost: string[] = [];
  if (uncommitted.length > 0) {
    const sample = uncommitted.slice(0, 5).map((e) => e.path).join(', ');
    lost.push(`${uncommitted.length} uncommitted file${uncommitted.length === 1 ? '' : 's'} (${sample}${uncommitted.length > 5 ? ', …' : ''})`);
  }
  if (unmergedCommits > 0) {
    lost.push(`${unmergedCommits} commit${unmergedCommits === 1 ? '' : 's'} on ${branch} not merged or pushed anywhere`);
  }
  throw new AoError(
    'WORKSPACE_DIRTY',
    `Not removing workspace ${path}: it would lose ${lost.join(' and ')}. ` +
      `Commit and merge or push the work (or discard it yourself in ${path}), then try again.`,
    { details: { path, branch, uncommitted: uncommitted.map((e) => e.path), unmergedCommits } },
  );
}

/**
 * Removes a directory created by a failed `create`. Best effort: the original error matters more
 * than a cleanup failure, which is only reported through the returned message.
 */
export async function removeQuietly(path: string): Promise<string | undefined> {
  try {
    await rm(path, { recursive: true, force: true });
    return undefined;
  } catch (error) {
    return describeError(error);
  }
}

/** Re-throws an `AoError` as is; wraps anything else as `WORKSPACE_FAILED` with `message`. */
export function asWorkspaceError(error: unknown, message: string): AoError {
  if (isAoError(error) && (error.code === 'WORKSPACE_FAILED' || error.code === 'BRANCH_EXISTS')) return error;
  return new AoError('WORKSPACE_FAILED', `${message}: ${describeError(error)}`, { cause: error });
}
