/**
 * The one git helper of ao. Every git call in core, the CLI and the built-in plugins goes through
 * these functions so there is one place that knows git's flags, exit codes and output formats.
 *
 * All functions take the `exec` of the caller (`ctx.exec` in a plugin) and run `git -C <dir> …`
 * with argv arrays. `-C` rather than `cwd` so a missing directory is a git error (exit 128), not a
 * spawn `ENOENT` that would read as "git is not installed".
 */
import type { Exec, ExecResult } from './contracts/plugin.js';
import { AoError } from './errors.js';

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

// Setting a workspace up and refusing to lose its work live next door; exported from here too.
export * from './git-workspace.js';
