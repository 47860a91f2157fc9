/**
 * Workspace: an isolated checkout per session (a git worktree, a clone…), on its own branch.
 * Nothing here may destroy uncommitted or unpushed work.
 */

export interface WorkspaceCreateOptions {
  sessionId: string;
  project: string;
  /** The user's repository. */
  repoPath: string;
  /** Branch to start from (the project's default branch). */
  baseBranch: string;
  /** Branch to create for the session. */
  branch: string;
  /** Where the workspace must be created; must not exist yet. */
  path: string;
  /** Commands (argv arrays) run in the new workspace, e.g. `["pnpm", "install"]`. */
  postCreate?: readonly (readonly string[])[];
  /** Files copied from the repo into the workspace when present, e.g. `.env`. */
  copyFiles?: readonly string[];
}

export interface WorkspaceInfo {
  path: string;
  branch: string;
  baseBranch: string;
  repoPath: string;
}

export interface WorkspaceState {
  exists: boolean;
  /** Uncommitted changes (staged, unstaged or untracked files). */
  dirty: boolean;
  /** Commits on the branch not in the base branch. */
  ahead: number;
  /** Commits on the branch reachable from no other branch or remote: lost if the branch goes. */
  unmerged: boolean;
  /**
   * Gitignored files and directories that removing the workspace would delete and that cannot be
   * regenerated or found elsewhere (up to 10, relative paths); omitted when there are none or the
   * plugin cannot tell.
   */
  ignored?: string[];
}

/** What `recreate` needs: where the workspace was and the branch it had checked out. */
export interface WorkspaceRecreateOptions extends WorkspaceInfo {
  postCreate?: readonly (readonly string[])[];
  copyFiles?: readonly string[];
}

export interface Workspace {
  /**
   * Called by spawn. Creates the branch from `baseBranch` and the checkout at `path`, then runs
   * `postCreate` and copies `copyFiles`. On failure removes what it created and throws
   * `WORKSPACE_FAILED` (or `BRANCH_EXISTS`).
   */
  create(options: WorkspaceCreateOptions): Promise<WorkspaceInfo>;

  /** Called by kill, cleanup and status: what would be lost if the workspace were removed. */
  state(info: WorkspaceInfo): Promise<WorkspaceState>;

  /**
   * Optional. Called by restore when the workspace directory is gone (deleted by hand): checks the
   * session's existing branch out at `path` again, then runs `postCreate` and copies `copyFiles`.
   * Throws `WORKSPACE_FAILED` saying so when the branch no longer exists either.
   */
  recreate?(options: WorkspaceRecreateOptions): Promise<WorkspaceInfo>;

  /**
   * Called by cleanup for finished sessions. Removes the checkout (and the branch when it is
   * merged). Throws `WORKSPACE_DIRTY` instead of removing anything uncommitted or unmerged.
   */
  remove(info: WorkspaceInfo): Promise<void>;
}
