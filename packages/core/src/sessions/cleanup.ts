import type { Runtime } from '../contracts/runtime.js';
import type { WorkspaceState } from '../contracts/workspace.js';
import { AoError, describeError, isAoError } from '../errors.js';
import type { PluginHost } from '../plugins/host.js';
import { TERMINAL_STATUSES, type Session } from './schema.js';
import type { SessionList, SessionStore } from './store.js';

export interface CleanupResult {
  /** `note`: what the runtime said of its own copy of the workspace (see `Runtime.cleanup`). */
  removed: { id: string; workspacePath: string; note?: string }[];
  kept: { id: string; reason: string }[];
}

export interface CleanupOptions {
  dryRun?: boolean;
  /** Delete gitignored files that cannot be regenerated with the workspace (`--force-ignored`). */
  forceIgnored?: boolean;
}

/** What became of one session's workspace. */
export type SessionCleanupOutcome =
  | { removed: true; id: string; workspacePath: string; /** False when the workspace was already gone. */ existed: boolean; note?: string }
  | { removed: false; id: string; workspacePath: string; reason: string };

export interface SessionCleanupDeps {
  store: SessionStore;
  plugins: PluginHost;
  /** Stops the session's agent (the manager's one stop, which `kill` uses too). */
  stopAgent(session: Session): Promise<void>;
}

/**
 * Why the workspace of finished session `s` must be kept, or undefined when removing it loses
 * nothing: uncommitted changes, commits on no other branch, gitignored files that cannot be
 * regenerated (unless `forceIgnored`), or a missing workspace under a running agent.
 */
export function keepReason(s: Session, state: WorkspaceState, running: boolean, forceIgnored = false): string | undefined {
  if (!state.exists && running) {
    return `its workspace ${s.workspacePath} is missing while its agent still runs: \`ao session restore ${s.id}\` recreates it from branch ${s.branch}, or \`ao session kill ${s.id}\` and cleanup again drops the session`;
  }
  if (state.exists && state.dirty) return `uncommitted changes in ${s.workspacePath} (commit or discard them, then run cleanup again)`;
  if (state.exists && state.unmerged) {
    // Nothing ahead on the branch, yet commits would be lost: they sit on a detached HEAD.
    return state.ahead > 0
      ? `branch ${s.branch} has ${state.ahead} commit(s) not merged into ${s.baseBranch} (merge or push them, or delete the branch yourself)`
      : `${s.workspacePath} has commits that are on no branch (a detached HEAD): keep them with \`git -C ${s.workspacePath} switch -c <new-branch>\` (or merge them), then run cleanup again`;
  }
  const ignored = state.exists ? (state.ignored ?? []) : [];
  if (ignored.length > 0 && !forceIgnored) {
    return `gitignored files in ${s.workspacePath} would be deleted with it: ${ignored.slice(0, 10).join(', ')}${ignored.length >= 10 ? ', …' : ''} (move what you need, then run cleanup again, or \`ao session cleanup --force-ignored\` to delete them)`;
  }
  return undefined;
}

/**
 * The one cleanup of sessions: `ao session cleanup` (every finished session, records archived) and
 * the `merged` reaction (one session, its record kept for `done`) go through `cleanupSession`, so
 * the rules that keep work are the same for both.
 */
export function createSessionCleanup(deps: SessionCleanupDeps) {
  const { store, plugins } = deps;

  async function workspaceState(session: Session): Promise<WorkspaceState> {
    const project = plugins.projectOf(session);
    const workspace = await plugins.workspaceOf(session);
    return workspace.state({ path: session.workspacePath, branch: session.branch, baseBranch: session.baseBranch, repoPath: project.path });
  }

  /**
   * Removes the workspace of finished session `s` when that loses nothing (see `keepReason`),
   * stopping its agent first when it still runs; the agent of a kept workspace is left as it is.
   * Records `workspace.removed`, then archives the record unless `archive: false`. Throws when
   * the workspace cannot be inspected or removed.
   */
  async function cleanupSession(s: Session, options: CleanupOptions & { archive?: boolean } = {}): Promise<SessionCleanupOutcome> {
    const base = { id: s.id, workspacePath: s.workspacePath };
    const finished = TERMINAL_STATUSES.includes(s.status) || s.activity === 'exited';
    if (!finished) return { ...base, removed: false, reason: `still ${s.status}${s.activity ? ` (${s.activity})` : ''}` };
    let state: WorkspaceState;
    try {
      state = await workspaceState(s);
    } catch (error) {
      throw new AoError('WORKSPACE_FAILED', `could not inspect workspace: ${describeError(error)}`, { cause: error, details: { session: s.id, path: s.workspacePath } });
    }
    const running = s.runtime !== null && s.activity !== 'exited';
    const reason = keepReason(s, state, running, options.forceIgnored);
    if (reason) return { ...base, removed: false, reason };
    // Finished (merged, done) with its agent still at its prompt: end it, or it would run on in a
    // deleted directory with no record left.
    if (running && !options.dryRun) await deps.stopAgent(s);
    // The runtime's own copy of the workspace (ssh: a worktree on its host) is checked and removed first.
    const runtime: Runtime | undefined = s.runtime ? await plugins.runtimeOf(s) : undefined;
    const elsewhere = s.runtime && runtime?.cleanup ? await runtime.cleanup(s.runtime, { dryRun: Boolean(options.dryRun), forceIgnored: Boolean(options.forceIgnored) }) : undefined;
    if (elsewhere?.keep) return { ...base, removed: false, reason: elsewhere.keep };
    const note = elsewhere?.note ? { note: elsewhere.note } : {};
    if (options.dryRun) return { ...base, removed: true, existed: state.exists, ...note };
    if (state.exists) {
      const project = plugins.projectOf(s);
      const workspace = await plugins.workspaceOf(s);
      await workspace.remove({ path: s.workspacePath, branch: s.branch, baseBranch: s.baseBranch, repoPath: project.path });
    }
    const set: Partial<Session> = running ? { activity: 'exited', activityDetail: 'finished' } : {};
    await store.update(s.project, s.id, 'workspace.removed', set, { path: s.workspacePath });
    if (options.archive !== false) await store.archive(s.project, s.id);
    return { ...base, removed: true, existed: state.exists, ...note };
  }

  /** `ao session cleanup`: every session of `listed`, each removed or kept with why. */
  async function cleanupAll(listed: SessionList, options: CleanupOptions = {}): Promise<CleanupResult> {
    const result: CleanupResult = { removed: [], kept: [] };
    for (const s of listed.sessions) {
      try {
        const outcome = await cleanupSession(s, options);
        if (outcome.removed) result.removed.push({ id: s.id, workspacePath: s.workspacePath, ...(outcome.note ? { note: outcome.note } : {}) });
        else result.kept.push({ id: s.id, reason: outcome.reason });
      } catch (error) {
        result.kept.push({ id: s.id, reason: isAoError(error) ? error.message : describeError(error) });
      }
    }
    return result;
  }

  return { cleanupSession, cleanupAll, workspaceState };
}
