import { createHash } from 'node:crypto';
/**
 * Workspace `worktree` (the default): each session gets a `git worktree` of the user's repository on
 * its own branch. Cheap to create (one `git worktree add`, objects shared with the repo) and the
 * branch lives in the user's repo, so merging it there is an ordinary `git merge`.
 */
import { existsSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  withFileLock,
  mkdirPrivate,
  PRIVATE_DIR_MODE,
  AoError,
  assertNothingLost,
  assertWorkspaceCreatable,
  asWorkspaceError,
  definePlugin,
  describeError,
  gitAheadCount,
  gitBranchExists,
  gitDeleteBranchIfMerged,
  gitIgnoredLosable,
  gitLosableChanges,
  gitRecordIgnoredBaseline,
  gitTry,
  gitUnmergedCount,
  gitWorktreeAdd,
  gitWorktreeCheckout,
  gitWorktreePrune,
  gitWorktreeRemove,
  prepareWorkspace,
  removeQuietly,
  z,
  type PluginContext,
  type Workspace,
  type WorkspaceCreateOptions,
  type WorkspaceInfo,
  type WorkspaceState,
} from '@ao/core/plugin';

export const worktreeConfigSchema = z.object({}).strict();
export type WorktreeConfig = z.infer<typeof worktreeConfigSchema>;

/** Builds the worktree workspace; exported for tests and for embedding without the registry. */
export function createWorktreeWorkspace(ctx: PluginContext): Workspace {
  const { exec, logger } = ctx;
  /** One lock per repository (under the data dir) around git's worktree bookkeeping. */
  const withRepoLock = async <T>(repoPath: string, fn: () => Promise<T>): Promise<T> => {
    const dir = join(ctx.paths.home, 'locks');
    await mkdirPrivate(dir);
    const name = `worktrees-${createHash('sha1').update(repoPath).digest('hex').slice(0, 12)}.lock`;
    return withFileLock(join(dir, name), fn, { timeoutMs: 120_000 });
  };

  /** Undoes a partial `create`: the worktree, its registration and the branch this call made. */
  async function discard(options: WorkspaceCreateOptions, branchCreated: boolean): Promise<void> {
    const { repoPath, path, branch } = options;
    if (existsSync(path)) {
      const removed = await gitTry(exec, repoPath, ['worktree', 'remove', '--force', path]);
      if (removed.exitCode !== 0) await removeQuietly(path);
    }
    await gitTry(exec, repoPath, ['worktree', 'prune']);
    if (branchCreated) await gitTry(exec, repoPath, ['branch', '-D', '--', branch]);
  }

  /** Commits that would be lost with the checkout and the branch, counted where they live. */
  function unmergedCount(info: WorkspaceInfo, hasCheckout: boolean): Promise<number> {
    // The checkout's HEAD too: the agent may have committed on a detached HEAD or another branch.
    return gitUnmergedCount(exec, hasCheckout ? info.path : info.repoPath, {
      refs: [...(hasCheckout ? ['HEAD'] : []), `refs/heads/${info.branch}`],
      excludeBranch: info.branch,
    });
  }

  return {
    async create(options) {
      const { repoPath, path, branch, baseBranch } = options;
      await assertWorkspaceCreatable(exec, options);
      await mkdirPrivate(dirname(path));
      try {
        // git's worktree bookkeeping is not safe against concurrent `worktree add` in one repo
        // (20 parallel spawns fail reading each other's half-written .git/worktrees entries).
        await withRepoLock(repoPath, () =>
          gitWorktreeAdd(exec, repoPath, { path, branch, base: baseBranch }).catch(async (error: unknown) => {
            // A worktree deleted by hand stays registered until pruned; prune only then, off the fast path.
            if (!/already registered/.test(describeError(error))) throw error;
            await gitWorktreePrune(exec, repoPath);
            // git created the branch before refusing; it did not exist before this call (checked above).
            await gitTry(exec, repoPath, ['branch', '-D', '--', branch]);
            await gitWorktreeAdd(exec, repoPath, { path, branch, base: baseBranch });
          }),
        );
      } catch (error) {
        await discard(options, await gitBranchExists(exec, repoPath, branch));
        throw new AoError('WORKSPACE_FAILED', `Could not create worktree ${path}: ${describeError(error)}`, {
          cause: error,
          details: { repoPath, path, branch },
        });
      }
      try {
        // Its files keep git's (and later the agent's) modes; the 0700 root keeps other users out.
        await chmod(path, PRIVATE_DIR_MODE);
        await prepareWorkspace(exec, options);
        await gitRecordIgnoredBaseline(exec, path);
      } catch (error) {
        await discard(options, true);
        throw asWorkspaceError(error, `Could not prepare workspace ${path}`);
      }
      logger.debug({ path, branch, baseBranch }, 'worktree created');
      return { path, branch, baseBranch, repoPath };
    },

    async state(info): Promise<WorkspaceState> {
      const exists = existsSync(info.path);
      const hasCheckout = exists && existsSync(join(info.path, '.git'));
      const [changes, ahead, unmerged, ignored] = await Promise.all([
        exists ? gitLosableChanges(exec, info.path, info.repoPath) : Promise.resolve([]),
        gitAheadCount(exec, info.repoPath, info.baseBranch, `refs/heads/${info.branch}`),
        unmergedCount(info, hasCheckout),
        hasCheckout ? gitIgnoredLosable(exec, info.path, info.repoPath) : Promise.resolve([]),
      ]);
      return { exists, dirty: changes.length > 0, ahead, unmerged: unmerged > 0, ...(ignored.length > 0 ? { ignored } : {}) };
    },

    async recreate(options) {
      const { repoPath, path, branch } = options;
      if (existsSync(path)) {
        throw new AoError('WORKSPACE_FAILED', `Cannot recreate workspace ${path}: it exists. Move it aside first.`, { details: { path } });
      }
      if (!(await gitBranchExists(exec, repoPath, branch))) {
        throw new AoError(
          'WORKSPACE_FAILED',
          `Cannot recreate workspace ${path}: its branch ${branch} no longer exists in ${repoPath}, so there is nothing to restore it from.`,
          { details: { path, branch, repoPath } },
        );
      }
      await mkdirPrivate(dirname(path));
      try {
        // The deleted directory is still registered (and holds the branch) until pruned.
        await withRepoLock(repoPath, async () => {
          await gitWorktreePrune(exec, repoPath);
          await gitWorktreeCheckout(exec, repoPath, { path, branch });
        });
      } catch (error) {
        throw new AoError('WORKSPACE_FAILED', `Could not recreate worktree ${path} from branch ${branch}: ${describeError(error)}`, {
          cause: error,
          details: { repoPath, path, branch },
        });
      }
      try {
        await prepareWorkspace(exec, { repoPath, path, ...(options.copyFiles ? { copyFiles: options.copyFiles } : {}), ...(options.postCreate ? { postCreate: options.postCreate } : {}) });
        await gitRecordIgnoredBaseline(exec, path);
      } catch (error) {
        throw asWorkspaceError(error, `Recreated ${path} from branch ${branch}, but could not prepare it`);
      }
      logger.debug({ path, branch }, 'worktree recreated');
      return { path, branch, baseBranch: options.baseBranch, repoPath };
    },

    async remove(info) {
      const exists = existsSync(info.path);
      const hasCheckout = exists && existsSync(join(info.path, '.git'));
      const [uncommitted, unmergedCommits] = await Promise.all([
        exists ? gitLosableChanges(exec, info.path, info.repoPath) : Promise.resolve([]),
        unmergedCount(info, hasCheckout),
      ]);
      assertNothingLost({ path: info.path, branch: info.branch, uncommitted, unmergedCommits });
      // --force: what is left is ignored files and copies of repo files, checked above as losing nothing.
      await withRepoLock(info.repoPath, async () => {
        if (exists) await gitWorktreeRemove(exec, info.repoPath, info.path, { force: true });
        await gitWorktreePrune(exec, info.repoPath);
      });
      const deleted = await gitDeleteBranchIfMerged(exec, info.repoPath, info.branch);
      if (!deleted && (await gitBranchExists(exec, info.repoPath, info.branch))) {
        logger.warn({ branch: info.branch, repoPath: info.repoPath }, 'branch kept: it is checked out elsewhere or not merged');
      }
      logger.debug({ path: info.path, branch: info.branch }, 'worktree removed');
    },
  };
}

export default definePlugin({
  name: 'worktree',
  slot: 'workspace',
  version: '0.1.0',
  description: 'A git worktree of the project repo per session (fast; the default)',
  configSchema: worktreeConfigSchema,
  create: (_config, ctx) => createWorktreeWorkspace(ctx),
});
