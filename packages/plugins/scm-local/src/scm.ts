/**
 * The embedded default SCM: a pull request is a branch of the project's repository plus a JSON
 * record under `<project dir>/prs/`; CI is the project's test command run locally; reviews come from
 * `ao review`; merge is a real git merge into the base branch. Offline, no account.
 *
 * Session branches are read from the project repository (`ctx.project.path`): worktree workspaces
 * share its refs, so every commit an agent makes is visible there without a push.
 */
import { join } from 'node:path';
import {
  AoError,
  gitAheadCount,
  gitTry,
  type CiStatus,
  type PluginContext,
  type PullRequest,
  type PullRequestStatus,
  type ReviewInput,
  type ReviewState,
  type Scm,
} from '@ao/core/plugin';
import { ciPlan, createCiRunner } from './ci.js';
import type { DependencyMode } from './deps.js';
import { mergeabilityOf, mergeIntoBase, type MergeMethod } from './merge.js';
import { createPrStore, toPullRequest, type LocalPullRequest, type LocalReview } from './records.js';
import { reviewStateOf } from './review.js';

export interface LocalScmConfig {
  /** The project's test command (argv, preferred, or a whitespace-split string, never a shell), or `{ command, setup, dependencies }`. */
  ci?: string[] | string | { command: string[] | string; setup?: string[] | string | undefined; dependencies: DependencyMode };
  ciTimeoutMs: number;
  logTailLines: number;
  logMaxChars: number;
  mergeMethod: MergeMethod;
}


/** The local SCM: the `Scm` contract plus what only a local SCM can do (run CI, take reviews). */
export interface LocalScm extends Scm {
  /**
   * Runs CI for the PR's current head (refreshed from its branch) unless it already ran, and
   * resolves when it finished. Joins a run already in progress in this or another ao process.
   * `{ state: 'none' }` when no `ci` command is configured.
   */
  runCi(pr: Pick<PullRequest, 'id'>): Promise<CiStatus>;
  /** Records a review of an open PR (`ao review`, the dashboard). Throws `PR_NOT_FOUND`, or `PR_STATE` when it is not open. */
  review(prId: string, input: ReviewInput): Promise<{ pr: PullRequest; review: ReviewState }>;
  /** The full stored record (reviews, CI runs), or null. */
  getPullRequest(prId: string): Promise<LocalPullRequest | null>;
  /** Every record of the project, lowest id first. */
  listPullRequests(): Promise<LocalPullRequest[]>;
}

const REVIEW_DECISIONS: readonly string[] = ['approved', 'changes_requested', 'commented'];

/** True when `scm` is a local SCM instance (for callers that hold it as a plain `Scm`). */
export function isLocalScm(scm: Scm): scm is LocalScm {
  return typeof (scm as Partial<LocalScm>).review === 'function' && typeof (scm as Partial<LocalScm>).runCi === 'function';
}

export function createLocalScm(config: LocalScmConfig, ctx: PluginContext): LocalScm {
  const project = ctx.project;
  if (!project) {
    throw new AoError('PROJECT_NOT_FOUND', 'The local SCM serves one project, but it was created without one (ctx.project is missing); configure it under a project.');
  }
  const repoPath = project.path;
  const store = createPrStore(join(ctx.paths.project(project.name), 'prs'), ctx.logger);
  const plan = ciPlan(config.ci);
  const ci = plan
    ? createCiRunner({ ctx, store, repoPath, plan, timeoutMs: config.ciTimeoutMs, logTailLines: config.logTailLines, logMaxChars: config.logMaxChars })
    : undefined;
  const iso = () => new Date(ctx.clock.now()).toISOString();
  const noCi: CiStatus = { state: 'none', failing: [] };

  async function branchTip(branch: string): Promise<string | undefined> {
    const result = await gitTry(ctx.exec, repoPath, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`]);
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  }

  async function isAncestor(sha: string, branch: string): Promise<boolean> {
    return (await gitTry(ctx.exec, repoPath, ['merge-base', '--is-ancestor', sha, `refs/heads/${branch}`])).exitCode === 0;
  }

  /**
   * Re-reads an open PR and brings it in line with the repository: `headSha` follows the branch.
   * A PR whose commits all reached the base by other means (the user merged it by hand) becomes
   * `merged`; one whose branch was deleted without merging becomes `closed`. A branch reset back
   * to the base is NOT taken for a merge: the commits it had must be on the base.
   */
  async function refresh(id: string): Promise<LocalPullRequest> {
    const record = await store.require(id);
    if (record.state !== 'open') return record;
    const tip = await branchTip(record.branch);
    const knownMerged = await isAncestor(record.headSha, record.baseBranch);
    let state: LocalPullRequest['state'] = 'open';
    if (tip === undefined) state = knownMerged ? 'merged' : 'closed';
    else if (knownMerged && (tip === record.headSha || (await isAncestor(tip, record.baseBranch)))) state = 'merged';
    const headSha = tip ?? record.headSha;
    if (state === record.state && headSha === record.headSha) return record;
    ctx.logger.info({ pr: id, from: record.headSha, to: headSha, state }, 'local PR refreshed from its branch');
    return store.update(id, (current) => {
      if (current.state !== 'open') return;
      current.headSha = headSha;
      current.state = state;
      current.updatedAt = iso();
    });
  }

  function ciFor(record: LocalPullRequest): CiStatus {
    if (!ci) return noCi;
    const known = ci.statusOf(record.id, record.ci[record.headSha], record.headSha);
    if (known) return known;
    if (record.state !== 'open') return noCi;
    // Started, not awaited: a poll must stay fast. The run belongs to this process; if it exits
    // first, the pending record's dead pid makes the next poll start the run again.
    ci.run(record.id, record.headSha).catch((error: unknown) => {
      ctx.logger.warn({ pr: record.id, sha: record.headSha, err: String(error) }, 'local CI run failed to record');
    });
    return { state: 'pending', sha: record.headSha, failing: [] };
  }

  async function statusOf(pr: PullRequest): Promise<PullRequestStatus> {
    const record = await refresh(pr.id);
    const mergeability = await mergeabilityOf(ctx.exec, repoPath, record);
    return { pr: toPullRequest(record), ci: ciFor(record), review: reviewStateOf(record), mergeability };
  }

  return {
    async findPullRequest(ref) {
      if (ref.project !== project.name) return null;
      const newest = (await store.list()).filter((record) => record.branch === ref.branch).pop();
      return newest ? toPullRequest(await refresh(newest.id)) : null;
    },

    async openPullRequest(input) {
      if (input.project !== project.name) {
        throw new AoError('PROJECT_NOT_FOUND', `This local SCM serves project "${project.name}", not "${input.project}"`);
      }
      const openFor = (records: LocalPullRequest[]) => records.filter((r) => r.branch === input.branch && r.state === 'open').pop();
      const existing = openFor(await store.list());
      if (existing) return toPullRequest(await refresh(existing.id));

      const headSha = await branchTip(input.branch);
      if (!headSha) {
        throw new AoError(
          'PR_STATE',
          `Branch ${input.branch} does not exist in ${repoPath}: scm-local reads session branches from the project repository ` +
            `(worktree workspaces share it; from a clone, push the branch to it first).`,
          { details: { branch: input.branch, repoPath } },
        );
      }
      if (!(await branchTip(input.baseBranch))) {
        throw new AoError('PR_STATE', `Base branch ${input.baseBranch} does not exist in ${repoPath}`, { details: { baseBranch: input.baseBranch } });
      }
      const ahead = await gitAheadCount(ctx.exec, repoPath, `refs/heads/${input.baseBranch}`, `refs/heads/${input.branch}`);
      if (ahead === 0) {
        throw new AoError(
          'PR_STATE',
          `Branch ${input.branch} has no commits ahead of ${input.baseBranch}: commit the work on it first, then open the pull request.`,
          { details: { branch: input.branch, baseBranch: input.baseBranch } },
        );
      }
      const now = iso();
      const record = await store.create(
        {
          title: input.title,
          body: input.body ?? '',
          branch: input.branch,
          baseBranch: input.baseBranch,
          state: 'open',
          headSha,
          createdAt: now,
          updatedAt: now,
          reviews: [],
          ci: {},
          ...(input.workspacePath ? { workspacePath: input.workspacePath } : {}),
        },
        openFor,
      );
      ctx.logger.info({ pr: record.id, branch: record.branch, headSha }, 'local PR opened');
      return toPullRequest(record);
    },

    async pollPullRequests(prs) {
      const statuses = new Map<string, PullRequestStatus>();
      await Promise.all(
        prs.map(async (pr) => {
          try {
            statuses.set(pr.id, await statusOf(pr));
          } catch (error) {
            // One missing or corrupt record must not hide every other PR's status.
            ctx.logger.warn({ pr: pr.id, err: String(error) }, 'local PR left out of this poll');
          }
        }),
      );
      return statuses;
    },

    async merge(pr, options) {
      const method = options?.method ?? config.mergeMethod;
      if (method === 'rebase') {
        throw new AoError('NOT_IMPLEMENTED', 'scm-local merges with "merge" or "squash", not "rebase"; set mergeMethod accordingly.');
      }
      const record = await refresh(pr.id);
      // Already merged (also by hand): nothing to do, so a retried merge reaction is harmless.
      if (record.state === 'merged') return;
      if (record.state === 'closed') {
        throw new AoError('PR_STATE', `PR #${record.id} is closed (its branch ${record.branch} is gone); nothing to merge.`, { details: { pr: record.id } });
      }
      const mergedSha = await mergeIntoBase(ctx.exec, repoPath, record, method);
      await store.update(record.id, (current) => {
        current.state = 'merged';
        current.mergedSha = mergedSha;
        current.headSha = record.headSha;
        current.updatedAt = iso();
      });
      ctx.logger.info({ pr: record.id, baseBranch: record.baseBranch, mergedSha, method }, 'local PR merged');
    },

    async runCi(pr) {
      if (!ci) return noCi;
      const record = await refresh(pr.id);
      return ci.run(record.id, record.headSha);
    },

    async review(prId, input) {
      if (!REVIEW_DECISIONS.includes(input.decision)) {
        throw new AoError('USAGE', `Unknown review decision "${String(input.decision)}": use ${REVIEW_DECISIONS.join(', ')}`);
      }
      const record = await refresh(prId);
      if (record.state !== 'open') {
        throw new AoError('PR_STATE', `PR #${prId} is ${record.state}; only open pull requests can be reviewed.`, { details: { pr: prId, state: record.state } });
      }
      const ts = iso();
      const updated = await store.update(prId, (current) => {
        current.reviews.push({
          decision: input.decision,
          author: input.author ?? ctx.env.USER ?? 'local',
          body: input.body ?? '',
          ts,
          sha: record.headSha,
          ...(input.comments?.length ? { comments: input.comments.map((c) => ({ path: c.path, line: c.line, body: c.body })) } : {}),
        });
        current.updatedAt = ts;
      });
      return { pr: toPullRequest(updated), review: reviewStateOf(updated) };
    },

    getPullRequest: (prId) => store.get(prId),
    listPullRequests: () => store.list(),
  };
}
