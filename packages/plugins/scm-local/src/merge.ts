/**
 * Mergeability and merge for local pull requests, computed entirely in git's object database so no
 * working tree is touched: `git merge-tree --write-tree` (git ≥ 2.38) builds the merged tree,
 * `git commit-tree` the commit, and `git update-ref <new> <old>` moves the base branch only if
 * nobody moved it meanwhile.
 *
 * The one working tree that can be affected is a checkout of the base branch itself (typically the
 * user's repo on `main`): moving the ref under it would make its files look like a revert of the
 * merge. So when the base branch is checked out somewhere, the merge refuses if that checkout has
 * uncommitted changes to tracked files, and otherwise advances it with `git merge --ff-only`, which
 * moves ref and files together and never overwrites a local change (it fails instead).
 */
import { existsSync } from 'node:fs';
import { AoError, git, gitStatus, gitTry, gitWorktreeList, type Exec, type Mergeability } from '@ao/core/plugin';
import type { LocalPullRequest } from './records.js';

export type MergeMethod = 'merge' | 'squash';

interface MergeTree {
  /** The merged tree; present even with conflicts (with conflict markers). */
  tree: string;
  conflicts: string[];
}

/** Runs `git merge-tree --write-tree base head`; undefined when git could not tell (e.g. a ref is gone). */
export async function mergeTree(exec: Exec, repoPath: string, base: string, head: string): Promise<MergeTree | undefined> {
  const result = await gitTry(exec, repoPath, ['merge-tree', '--write-tree', '--name-only', '--no-messages', base, head]);
  if (result.exitCode !== 0 && result.exitCode !== 1) return undefined;
  const [tree = '', ...rest] = result.stdout.split('\n');
  const conflicts = result.exitCode === 1 ? [...new Set(rest.filter((line) => line.trim() !== ''))] : [];
  return { tree: tree.trim(), conflicts };
}

/** Whether the PR's head merges cleanly into its base branch right now. */
export async function mergeabilityOf(exec: Exec, repoPath: string, record: LocalPullRequest): Promise<Mergeability> {
  if (record.state !== 'open') return { mergeable: false, conflicts: false };
  const result = await mergeTree(exec, repoPath, `refs/heads/${record.baseBranch}`, record.headSha);
  if (!result) return { mergeable: 'unknown', conflicts: false };
  return { mergeable: result.conflicts.length === 0, conflicts: result.conflicts.length > 0 };
}

/**
 * Merges the PR's head (`headSha`, already refreshed by the caller) into its base branch and
 * returns the new tip of the base. Throws `MERGE_CONFLICT` naming the files, `WORKSPACE_DIRTY` when
 * the base is checked out with uncommitted changes, `SCM_FAILED` when the base moved meanwhile —
 * in every case before anything changed.
 */
export async function mergeIntoBase(exec: Exec, repoPath: string, record: LocalPullRequest, method: MergeMethod): Promise<string> {
  const baseRef = `refs/heads/${record.baseBranch}`;
  const oldBase = await git(exec, repoPath, ['rev-parse', '--verify', `${baseRef}^{commit}`]).catch((error: unknown) => {
    throw new AoError('SCM_FAILED', `Cannot merge PR #${record.id}: base branch ${record.baseBranch} does not exist in ${repoPath}`, { cause: error });
  });
  const merged = await mergeTree(exec, repoPath, oldBase, record.headSha);
  if (!merged) {
    throw new AoError('SCM_FAILED', `Cannot merge PR #${record.id}: git merge-tree failed for ${record.baseBranch} and ${record.headSha} (needs git ≥ 2.38)`);
  }
  if (merged.conflicts.length > 0) {
    throw new AoError(
      'MERGE_CONFLICT',
      `PR #${record.id} (${record.branch}) conflicts with ${record.baseBranch} in: ${merged.conflicts.join(', ')}. ` +
        `Merge or rebase ${record.baseBranch} into ${record.branch}, resolve the conflicts, commit, then merge again.`,
      { details: { pr: record.id, branch: record.branch, baseBranch: record.baseBranch, files: merged.conflicts } },
    );
  }

  const checkout = await baseCheckout(exec, repoPath, record.baseBranch);
  if (checkout) {
    const changed = (await gitStatus(exec, checkout)).filter((entry) => entry.index !== '?');
    if (changed.length > 0) {
      const sample = changed.slice(0, 5).map((entry) => entry.path).join(', ');
      throw new AoError(
        'WORKSPACE_DIRTY',
        `Not merging PR #${record.id}: ${record.baseBranch} is checked out at ${checkout} with uncommitted changes (${sample}${changed.length > 5 ? ', …' : ''}). ` +
          `Commit or stash them (or check out another branch there), then merge again.`,
        { details: { pr: record.id, path: checkout, files: changed.map((entry) => entry.path) } },
      );
    }
  }

  const parents = method === 'squash' ? ['-p', oldBase] : ['-p', oldBase, '-p', record.headSha];
  const message =
    method === 'squash'
      ? `${record.title} (#${record.id})${record.body.trim() ? `\n\n${record.body.trim()}` : ''}`
      : `Merge local PR #${record.id} from ${record.branch}\n\n${record.title}`;
  const newBase = await git(exec, repoPath, ['commit-tree', merged.tree, ...parents, '-m', message]);

  if (checkout) {
    // Moves the ref and the checked-out files together; refuses rather than overwrite anything.
    const result = await gitTry(exec, checkout, ['merge', '--ff-only', '--quiet', newBase]);
    if (result.exitCode !== 0) {
      throw new AoError(
        'SCM_FAILED',
        `Could not advance ${record.baseBranch} checked out at ${checkout} to the merge of PR #${record.id}: ${(result.stderr || result.stdout).trim()}. Nothing was changed; try again.`,
        { details: { pr: record.id, path: checkout } },
      );
    }
  } else {
    const result = await gitTry(exec, repoPath, ['update-ref', '-m', `ao: merge local PR #${record.id}`, baseRef, newBase, oldBase]);
    if (result.exitCode !== 0) {
      throw new AoError('SCM_FAILED', `${record.baseBranch} moved while PR #${record.id} was being merged; nothing was changed, merge again.`, {
        details: { pr: record.id, stderr: result.stderr },
      });
    }
  }
  return newBase;
}

/** The working tree where `branch` is checked out, if any (the main repo or a linked worktree). */
async function baseCheckout(exec: Exec, repoPath: string, branch: string): Promise<string | undefined> {
  const worktrees = await gitWorktreeList(exec, repoPath);
  // A worktree whose directory was deleted (not yet pruned) has no files to keep in step.
  return worktrees.find((worktree) => !worktree.bare && worktree.branch === branch && existsSync(worktree.path))?.path;
}
