/**
 * Workspace `clone`: each session gets its own `git clone --local` of the user's repository (origin =
 * the repo), on a new branch from `origin/<baseBranch>`. Fully separate from the user's repo — its
 * own index, hooks, stash and refs — at the cost of a clone. Work is safe once pushed back to origin.
 */
import { existsSync } from 'node:fs';
import { chmod, rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import {
  AoError,
  mkdirPrivate,
  PRIVATE_DIR_MODE,
  assertNothingLost,
  assertWorkspaceCreatable,
  asWorkspaceError,
  definePlugin,
  describeError,
  git,
  gitAheadCount,
  gitDeleteBranchIfMerged,
  gitIgnoredLosable,
  gitLosableChanges,
  gitRecordIgnoredBaseline,
  gitTry,
  gitUnmergedCount,
  prepareWorkspace,
  removeQuietly,
  z,
  type PluginContext,
  type Workspace,
  type WorkspaceInfo,
  type WorkspaceState,
} from '@ao/core/plugin';

export const cloneConfigSchema = z.object({}).strict();
export type CloneConfig = z.infer<typeof cloneConfigSchema>;

/** Builds the clone workspace; exported for tests and for embedding without the registry. */
export function createCloneWorkspace(ctx: PluginContext): Workspace {
  const { exec, logger } = ctx;

  /**
   * Refreshes the clone's view of origin (a local repo: cheap) so work merged or pushed there since
   * counts as safe. Best effort: a stale view only makes `unmerged` err on the side of keeping work.
   */
  async function refresh(info: WorkspaceInfo): Promise<void> {
    const result = await gitTry(exec, info.path, ['fetch', '--quiet', '--prune', 'origin']);
    if (result.exitCode !== 0) logger.debug({ path: info.path, stderr: result.stderr }, 'fetch from origin failed');
  }

  /** Facts about the clone at `info.path`, which exists. */
  async function inspect(info: WorkspaceInfo) {
    await refresh(info);
    const [uncommitted, ahead, unmergedCommits] = await Promise.all([
      gitLosableChanges(exec, info.path, info.repoPath),
      gitAheadCount(exec, info.path, `refs/remotes/origin/${info.baseBranch}`, 'HEAD'),
      // Everything in the clone (every branch, tag, stash, HEAD) that origin does not have.
      gitUnmergedCount(exec, info.path, { refs: ['--all'], remotesOnly: true }),
    ]);
    return { uncommitted, ahead, unmergedCommits };
  }

  return {
    async create(options) {
      const { repoPath, path, branch, baseBranch } = options;
      await assertWorkspaceCreatable(exec, options);
      const parent = dirname(path);
      await mkdirPrivate(parent);
      try {
        await git(exec, parent, ['clone', '--quiet', '--local', '--no-checkout', '--', repoPath, basename(path)]);
        // Its files keep git's (and later the agent's) modes; the 0700 root keeps other users out.
        await chmod(path, PRIVATE_DIR_MODE);
        // --no-track: the session branch is pushed under its own name, never into the base branch.
        await git(exec, path, ['checkout', '--quiet', '--no-track', '-b', branch, `refs/remotes/origin/${baseBranch}`]);
        await prepareWorkspace(exec, options);
        await gitRecordIgnoredBaseline(exec, path);
      } catch (error) {
        await removeQuietly(path);
        throw asWorkspaceError(error, `Could not create clone ${path}`);
      }
      logger.debug({ path, branch, baseBranch }, 'clone created');
      return { path, branch, baseBranch, repoPath };
    },

    async state(info): Promise<WorkspaceState> {
      if (!existsSync(info.path)) return { exists: false, dirty: false, ahead: 0, unmerged: false };
      const [{ uncommitted, ahead, unmergedCommits }, ignored] = await Promise.all([inspect(info), gitIgnoredLosable(exec, info.path, info.repoPath)]);
      return { exists: true, dirty: uncommitted.length > 0, ahead, unmerged: unmergedCommits > 0, ...(ignored.length > 0 ? { ignored } : {}) };
    },

    async remove(info) {
      if (existsSync(info.path)) {
        const { uncommitted, unmergedCommits } = await inspect(info);
        assertNothingLost({ path: info.path, branch: info.branch, uncommitted, unmergedCommits });
        try {
          await rm(info.path, { recursive: true, force: true });
        } catch (error) {
          throw new AoError('WORKSPACE_FAILED', `Could not delete clone ${info.path}: ${describeError(error)}`, { cause: error });
        }
      }
      // A branch pushed back to the repo goes too once it is merged there.
      await gitDeleteBranchIfMerged(exec, info.repoPath, info.branch);
      logger.debug({ path: info.path, branch: info.branch }, 'clone removed');
    },
  };
}

export default definePlugin({
  name: 'clone',
  slot: 'workspace',
  version: '0.1.0',
  description: 'A separate local git clone of the project repo per session',
  configSchema: cloneConfigSchema,
  create: (_config, ctx) => createCloneWorkspace(ctx),
});
