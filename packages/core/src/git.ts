/**
 * The one git helper of ao. Every git call in core, the CLI and the built-in plugins goes through
 * these functions so there is one place that knows git's flags, exit codes and output formats.
 *
 * All functions take the `exec` of the caller (`ctx.exec` in a plugin) and run `git -C <dir> …`
 * with argv arrays. `-C` rather than `cwd` so a missing directory is a git error (exit 128), not a
 * spawn `ENOENT` that would read as "git is not installed".
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import type { Exec, ExecResult } from './contracts/plugin.js';
import { AoError, describeError, isAoError } from './errors.js';

/** Git messages in English whatever the user's locale, so failures read the same in logs. */
const GIT_ENV = { LC_ALL: 'C' };

/** Runs `git -C dir …args` and returns stdout without the final newline. Rejects with `EXEC_FAILED`. */
export async function git(exec: Exec, dir: string, args: readonly string[]): Promise<string> {
  const { stdout } = await exec('git', ['-C', dir, ...args], { env: GIT_ENV });
  return stdout.replace(/\r?\n$/, '');
}

/** Like {@link git} but resolves with the exit code instead of rejecting on a non-zero exit. */
export function gitTry(exec: Exec, dir: string, args: readonly string[]): Promise<ExecResult> {
  return exec('git', ['-C', dir, ...args], { env: GIT_ENV, reject: false });
}

async function gitOut(exec: Exec, dir: string, args: readonly string[]): Promise<string | undefined> {
  const result = await gitTry(exec, dir, args);
  const out = result.stdout.trim();
  return result.exitCode === 0 && out !== '' ? out : undefined;
}

/** The top directory of the repository containing `cwd`; undefined outside a repo or for a missing dir. */
export function gitRepoRoot(exec: Exec, cwd: string): Promise<string | undefined> {
  return gitOut(exec, cwd, ['rev-parse', '--show-toplevel']);
}

/** The branch checked out at `repoPath` (also an unborn one); undefined on a detached HEAD. */
export function gitCurrentBranch(exec: Exec, repoPath: string): Promise<string | undefined> {
  return gitOut(exec, repoPath, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
}

/** True when the local branch `refs/heads/<branch>` exists. */
export async function gitBranchExists(exec: Exec, repoPath: string, branch: string): Promise<boolean> {
  return (await gitTry(exec, repoPath, ['show-ref', '--verify', '--quiet', `refs/heads/${branch}`])).exitCode === 0;
}

/** Which of `branches` exist as local branches, in one git call. */
export async function gitExistingBranches(exec: Exec, repoPath: string, branches: readonly string[]): Promise<Set<string>> {
  const refs = branches.map((b) => `refs/heads/${b}`);
  // for-each-ref also matches by prefix up to a slash, hence the exact comparison below.
  const out = await git(exec, repoPath, ['for-each-ref', '--format=%(refname)', ...refs]);
  const found = new Set(out.split('\n'));
  return new Set(branches.filter((b) => found.has(`refs/heads/${b}`)));
}

/** Every local branch and the commit it points at, from one `git for-each-ref`. */
export async function gitBranchHeads(exec: Exec, repoPath: string): Promise<Map<string, string>> {
  const out = await git(exec, repoPath, ['for-each-ref', '--format=%(objectname) %(refname:short)', 'refs/heads']);
  const heads = new Map<string, string>();
  for (const line of out.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0) heads.set(line.slice(space + 1).trim(), line.slice(0, space));
  }
  return heads;
}

/** True when `ref` names a commit (branch, remote-tracking ref, tag or sha). */
export async function gitRefExists(exec: Exec, repoPath: string, ref: string): Promise<boolean> {
  return (await gitTry(exec, repoPath, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).exitCode === 0;
}

/** Branch names that mean "the trunk" when a repo has no `origin/HEAD`. */
const TRUNK_NAMES = ['main', 'master', 'trunk', 'develop'];

/**
 * The repository's real default branch — what sessions start from and PRs target:
 * `origin/HEAD` when set; else the current branch when it is main/master/trunk/develop; else
 * whichever of main/master exists (locally, then on origin); else the current branch (also an unborn
 * one in a repo without commits); else the first local branch. Never guesses `main` for a repo on
 * `master`. Throws `NOT_A_GIT_REPO` outside a repository.
 */
export async function gitDefaultBranch(exec: Exec, repoPath: string): Promise<string> {
  if ((await gitRepoRoot(exec, repoPath)) === undefined) {
    throw new AoError('NOT_A_GIT_REPO', `${repoPath} is not inside a git repository: run \`git init\` there or pass the repository's path`, {
      details: { path: repoPath },
    });
  }
  const originHead = await gitOut(exec, repoPath, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD']);
  if (originHead?.startsWith('origin/')) return originHead.slice('origin/'.length);
  const current = await gitCurrentBranch(exec, repoPath);
  if (current && TRUNK_NAMES.includes(current)) return current;
  for (const name of ['main', 'master']) {
    if (await gitBranchExists(exec, repoPath, name)) return name;
  }
  for (const name of ['main', 'master']) {
    if (await gitRefExists(exec, repoPath, `refs/remotes/origin/${name}`)) return name;
  }
  if (current) return current;
  const first = await gitOut(exec, repoPath, ['for-each-ref', '--count=1', '--format=%(refname:short)', 'refs/heads']);
  return first ?? 'main';
}

/** The URL of `remote`, or undefined when the repo has no such remote. */
export function gitRemoteUrl(exec: Exec, repoPath: string, remote = 'origin'): Promise<string | undefined> {
  return gitOut(exec, repoPath, ['remote', 'get-url', remote]);
}

/** One line of `git status --porcelain=v1 -z`. `index`/`worktree` are the X and Y status letters. */
export interface GitStatusEntry {
  index: string;
  worktree: string;
  /** Relative to the repository root. */
  path: string;
  /** The old path of a rename or copy. */
  origPath?: string;
}

/** Parses `git status --porcelain=v1 -z` output (NUL-separated, renames as `XY new\0old\0`). Pure. */
export function parseGitStatus(output: string): GitStatusEntry[] {
  const fields = output.split('\0');
  const entries: GitStatusEntry[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] ?? '';
    if (field.length < 4) continue;
    const entry: GitStatusEntry = { index: field[0] ?? ' ', worktree: field[1] ?? ' ', path: field.slice(3) };
    if (entry.index === 'R' || entry.index === 'C' || entry.worktree === 'R' || entry.worktree === 'C') {
      entry.origPath = fields[++i];
    }
    entries.push(entry);
  }
  return entries;
}

/** Uncommitted changes at `path`: staged, unstaged and untracked (every file, not collapsed dirs). */
export async function gitStatus(exec: Exec, path: string): Promise<GitStatusEntry[]> {
  const { stdout } = await exec('git', ['-C', path, 'status', '--porcelain=v1', '-z', '--untracked-files=all'], { env: GIT_ENV });
  return parseGitStatus(stdout);
}

/** True when `path` has any staged, unstaged or untracked change (ignored files don't count). */
export async function gitIsDirty(exec: Exec, path: string): Promise<boolean> {
  return (await gitStatus(exec, path)).length > 0;
}

/** Commits on `branch` that are not on `base` (`git rev-list --count base..branch`); 0 when either is missing. */
export async function gitAheadCount(exec: Exec, path: string, base: string, branch: string): Promise<number> {
  const out = await gitOut(exec, path, ['rev-list', '--count', `${base}..${branch}`]);
  return out === undefined ? 0 : Number.parseInt(out, 10) || 0;
}

export interface UnmergedOptions {
  /**
   * Revisions whose history is checked, e.g. `['HEAD', 'refs/heads/x']` (missing ones are ignored),
   * or rev-list options such as `--all`.
   */
  refs: readonly string[];
  /** A local branch whose own tip does not count as "kept" (the branch about to be deleted). */
  excludeBranch?: string;
  /** Count only remote-tracking refs as keeping a commit (a clone: work is safe once pushed). */
  remotesOnly?: boolean;
}

/**
 * How many commits reachable from `refs` are reachable from no other local branch or
 * remote-tracking ref — the commits that would be lost if `excludeBranch` (or the checkout) went.
 */
export async function gitUnmergedCount(exec: Exec, path: string, options: UnmergedOptions): Promise<number> {
  const keep = options.remotesOnly
    ? ['--remotes']
    : [...(options.excludeBranch ? [`--exclude=${options.excludeBranch}`] : []), '--branches', '--remotes'];
  // --ignore-missing: a deleted branch or an unborn HEAD holds nothing, without a check per ref.
  const out = await git(exec, path, ['rev-list', '--count', '--ignore-missing', ...options.refs, '--not', ...keep]);
  return Number.parseInt(out, 10) || 0;
}

/** True when `branch` has commits reachable from no other local branch or remote-tracking ref. */
export async function gitHasUnmergedCommits(exec: Exec, repoPath: string, branch: string): Promise<boolean> {
  return (await gitUnmergedCount(exec, repoPath, { refs: [`refs/heads/${branch}`], excludeBranch: branch })) > 0;
}

/** Deletes a local branch. `force` (`-D`) only after the caller checked nothing would be lost. */
export async function gitDeleteBranch(exec: Exec, repoPath: string, branch: string, options: { force?: boolean } = {}): Promise<void> {
  await git(exec, repoPath, ['branch', options.force ? '-D' : '-d', '--', branch]);
}

/**
 * Deletes `branch` from `repoPath` when that loses nothing (every commit on it is also on another
 * branch or remote). Returns false, leaving the branch, when it holds unmerged work or is checked
 * out somewhere — a leftover branch is better than lost work.
 */
export async function gitDeleteBranchIfMerged(exec: Exec, repoPath: string, branch: string): Promise<boolean> {
  if (!(await gitBranchExists(exec, repoPath, branch))) return false;
  if (await gitHasUnmergedCommits(exec, repoPath, branch)) return false;
  // -D, not -d: `-d` compares with HEAD/upstream only, but we just checked every commit is kept.
  return (await gitTry(exec, repoPath, ['branch', '-D', '--', branch])).exitCode === 0;
}

/** One entry of `git worktree list --porcelain`. */
export interface GitWorktree {
  path: string;
  /** Short branch name; undefined when detached or bare. */
  branch?: string;
  head?: string;
  bare: boolean;
  detached: boolean;
}

/** Parses `git worktree list --porcelain` (blank-line separated records). Pure. */
export function parseGitWorktreeList(output: string): GitWorktree[] {
  const worktrees: GitWorktree[] = [];
  let current: GitWorktree | undefined;
  for (const line of output.split('\n')) {
    if (line.startsWith('worktree ')) {
      current = { path: line.slice('worktree '.length), bare: false, detached: false };
      worktrees.push(current);
    } else if (!current) {
      continue;
    } else if (line.startsWith('HEAD ')) current.head = line.slice(5);
    else if (line.startsWith('branch ')) current.branch = line.slice(7).replace(/^refs\/heads\//, '');
    else if (line === 'bare') current.bare = true;
    else if (line === 'detached') current.detached = true;
  }
  return worktrees;
}

/** The worktrees of the repository at `repoPath`, the main one first. */
export async function gitWorktreeList(exec: Exec, repoPath: string): Promise<GitWorktree[]> {
  return parseGitWorktreeList(await git(exec, repoPath, ['worktree', 'list', '--porcelain']));
}

/** `git worktree add -b <branch> <path> <base>`: a new branch from `base`, checked out at `path`. */
export async function gitWorktreeAdd(exec: Exec, repoPath: string, options: { path: string; branch: string; base: string }): Promise<void> {
  await git(exec, repoPath, ['worktree', 'add', '--quiet', '-b', options.branch, options.path, options.base]);
}

/** `git worktree add <path> <branch>`: an existing branch checked out at `path` again. */
export async function gitWorktreeCheckout(exec: Exec, repoPath: string, options: { path: string; branch: string }): Promise<void> {
  await git(exec, repoPath, ['worktree', 'add', '--quiet', options.path, options.branch]);
}

/** `git worktree remove`; `force` also drops untracked files — only after the caller checked them. */
export async function gitWorktreeRemove(exec: Exec, repoPath: string, path: string, options: { force?: boolean } = {}): Promise<void> {
  await git(exec, repoPath, ['worktree', 'remove', ...(options.force ? ['--force'] : []), path]);
}

/** Forgets worktrees whose directories are gone, so their branches can be checked out again. */
export async function gitWorktreePrune(exec: Exec, repoPath: string): Promise<void> {
  await git(exec, repoPath, ['worktree', 'prune']);
}

// ---------------------------------------------------------------------------------------------
// Shared by the workspace plugins (worktree, clone): setting a checkout up and refusing to lose work.

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
  const { stdout } = await exec('git', ['-C', path, 'ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'], { env: GIT_ENV });
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
