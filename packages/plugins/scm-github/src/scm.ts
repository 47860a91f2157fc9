/**
 * The GitHub SCM: one batched GraphQL query per 50 PRs for every poll, REST (with ETags) for the
 * rest, and each failing job's log fetched once per head sha.
 */
import { AoError, type OpenPullRequestInput, type PluginContext, type PullRequest, type PullRequestStatus, type Scm } from '@ao/core/plugin';
import { createGitHubClient, httpStatus, parseRepo, toAoError, type GitHubClient, type PrStatusData } from '@ao/github';
import { ciOf, isFailing, jobLogReport, mergeabilityOf, pullRequestOf, reviewOf } from './status.js';

export type MergeMethod = 'merge' | 'squash' | 'rebase';

export interface GitHubScmConfig {
  repo: string;
  mergeMethod: MergeMethod;
  logTailLines: number;
  /** Upper bound on the failing jobs' log reports together, in characters. */
  logMaxChars: number;
}

export interface GitHubScm extends Scm {
  readonly repo: string;
  readonly client: GitHubClient;
}

/** Logs of at most this many failing jobs per head sha are fetched: the agent needs the first failures, not all. */
export const MAX_LOGS_PER_SHA = 3;
/** Log tails remembered per instance (sha × job); old ones are dropped first. */
const MAX_TAILS = 1000;

/** The fields of GitHub's pull JSON that ao reads. */
interface PullJson {
  number: number;
  html_url?: string;
  title: string;
  state: string;
  merged_at?: string | null;
  merged?: boolean;
  mergeable?: boolean | null;
  mergeable_state?: string;
  head: { ref: string; sha: string };
  base: { ref: string };
}

function pullFromJson(json: PullJson): PullRequest {
  return {
    id: String(json.number),
    ...(json.html_url ? { url: json.html_url } : {}),
    title: json.title,
    branch: json.head.ref,
    baseBranch: json.base.ref,
    state: json.merged_at || json.merged ? 'merged' : json.state === 'closed' ? 'closed' : 'open',
    headSha: json.head.sha,
  };
}

function validationErrors(error: unknown): Array<{ field?: string; code?: string; message?: string }> {
  const data = (error as { response?: { data?: { errors?: unknown } } }).response?.data;
  return Array.isArray(data?.errors) ? (data.errors as Array<{ field?: string; code?: string; message?: string }>) : [];
}

export function createGitHubScm(config: GitHubScmConfig, ctx: Pick<PluginContext, 'env' | 'exec' | 'logger' | 'clock'>, client?: GitHubClient): GitHubScm {
  const repo = parseRepo(config.repo);
  const gh = client ?? createGitHubClient({ env: ctx.env, exec: ctx.exec, logger: ctx.logger, clock: ctx.clock });
  const base = { owner: repo.owner, repo: repo.name };
  const logger = ctx.logger.child({ plugin: 'scm-github', repo: repo.fullName });
  /** `<sha>#<jobId>` → log tail, or null when the log could not be read (not retried for that sha). */
  const tails = new Map<string, string | null>();

  const fail = (error: unknown, what: string): AoError => toAoError(error, { what, repo: repo.fullName, scopes: gh.scopes() });

  function prNumber(pr: PullRequest): number {
    const n = Number(pr.id);
    if (!Number.isInteger(n) || n < 1) throw new AoError('PR_NOT_FOUND', `"${pr.id}" is not a GitHub pull request number (in ${repo.fullName}).`);
    return n;
  }

  async function find(branch: string): Promise<PullRequest | null> {
    try {
      const { data } = await gh.octokit.rest.pulls.list({ ...base, state: 'all', head: `${repo.owner}:${branch}`, per_page: 20 });
      const prs = (data as PullJson[]).map(pullFromJson);
      return prs.find((p) => p.state === 'open') ?? prs[0] ?? null;
    } catch (error) {
      throw fail(error, `looking for a pull request from ${branch} in ${repo.fullName}`);
    }
  }

  /** The failure report of each failing job's log of this head sha, each log fetched at most once per sha. */
  async function failingLogTail(data: PrStatusData): Promise<string | undefined> {
    const jobs = data.checks.filter((c) => isFailing(c) && c.kind === 'check-run' && c.jobId !== undefined).slice(0, MAX_LOGS_PER_SHA);
    const parts: string[] = [];
    for (const job of jobs) {
      const key = `${data.headSha}#${job.jobId}`;
      if (!tails.has(key)) {
        try {
          const maxChars = Math.floor(config.logMaxChars / jobs.length);
          tails.set(key, jobLogReport(await gh.jobLog(repo.fullName, job.jobId!), { tailLines: config.logTailLines, maxChars }));
        } catch (error) {
          logger.warn({ pr: data.number, job: job.jobId, error: (error as Error).message }, 'could not read the failing job log');
          tails.set(key, null);
        }
        if (tails.size > MAX_TAILS) tails.delete(tails.keys().next().value as string);
      }
      const tail = tails.get(key);
      if (tail) parts.push(jobs.length > 1 ? `--- ${job.name} ---\n${tail}` : tail);
    }
    return parts.length ? parts.join('\n') : undefined;
  }

  return {
    repo: repo.fullName,
    client: gh,

    async findPullRequest(ref) {
      return find(ref.branch);
    },

    async openPullRequest(input: OpenPullRequestInput) {
      const existing = await find(input.branch);
      if (existing?.state === 'open') return existing;
      try {
        const { data } = await gh.octokit.rest.pulls.create({
          ...base,
          head: input.branch,
          base: input.baseBranch,
          title: input.title,
          ...(input.body ? { body: input.body } : {}),
        });
        return pullFromJson(data as PullJson);
      } catch (error) {
        if (httpStatus(error) === 422) {
          const errors = validationErrors(error);
          const text = `${(error as Error).message} ${errors.map((e) => e.message ?? '').join(' ')}`;
          if (/already exists/i.test(text)) {
            const found = await find(input.branch);
            if (found) return found;
          }
          if (errors.some((e) => e.field === 'head' && e.code === 'invalid')) {
            throw new AoError(
              'PR_STATE',
              `Branch ${input.branch} is not on GitHub (${repo.fullName}): push it first (git push -u origin ${input.branch}), then open the pull request again.`,
              { cause: error, details: { branch: input.branch, repo: repo.fullName } },
            );
          }
          if (/no commits between/i.test(text)) {
            throw new AoError('PR_STATE', `Branch ${input.branch} has no commits ahead of ${input.baseBranch} on GitHub: commit and push the work first.`, {
              cause: error,
              details: { branch: input.branch, repo: repo.fullName },
            });
          }
          if (errors.some((e) => e.field === 'base')) {
            throw new AoError('PR_STATE', `Base branch ${input.baseBranch} does not exist in ${repo.fullName}: check the project's defaultBranch.`, { cause: error });
          }
        }
        throw fail(error, `opening a pull request from ${input.branch} in ${repo.fullName}`);
      }
    },

    async pollPullRequests(prs) {
      const refs = prs.map((pr) => ({ repo: repo.fullName, number: prNumber(pr) }));
      const data = await gh.pullRequestsStatus(refs);
      const out = new Map<string, PullRequestStatus>();
      for (const pr of prs) {
        const d = data.get(`${repo.fullName}#${pr.id}`);
        if (!d) {
          logger.warn({ pr: pr.id }, 'pull request not found on GitHub: left out of this poll');
          continue;
        }
        const ci = ciOf(d);
        if (ci.state === 'failing') {
          const tail = await failingLogTail(d);
          if (tail) ci.logTail = tail;
        }
        out.set(pr.id, { pr: pullRequestOf(d), ci, review: reviewOf(d), mergeability: mergeabilityOf(d) });
      }
      return out;
    },

    async merge(pr, options = {}) {
      const n = prNumber(pr);
      const method = options.method ?? config.mergeMethod;
      try {
        await gh.octokit.rest.pulls.merge({ ...base, pull_number: n, merge_method: method, ...(pr.headSha ? { sha: pr.headSha } : {}) });
        return;
      } catch (error) {
        const status = httpStatus(error);
        if (status === 409) {
          throw new AoError('PR_STATE', `PR #${n} in ${repo.fullName} changed since ao last looked (new commits or a force-push): not merged; the next poll will see the new head.`, {
            cause: error,
            details: { pr: pr.id, repo: repo.fullName },
          });
        }
        if (status !== 405) throw fail(error, `merging PR #${n} of ${repo.fullName}`);
        // 405 covers conflicts, unmet branch protection and a disallowed method: ask which.
        let current: PullJson | undefined;
        try {
          current = (await gh.octokit.rest.pulls.get({ ...base, pull_number: n })).data as PullJson;
        } catch {
          // the 405 message below still says what GitHub said
        }
        if (current && (current.merged || current.merged_at)) return;
        const reason = (error as Error).message.replace(/ - https:\/\/docs\.github\.com\S*$/, '');
        if (current && (current.mergeable === false || current.mergeable_state === 'dirty')) {
          throw new AoError('MERGE_CONFLICT', `PR #${n} in ${repo.fullName} conflicts with ${current.base.ref}: the agent must merge or rebase ${current.base.ref} into ${current.head.ref} and push.`, {
            cause: error,
            details: { pr: pr.id, repo: repo.fullName },
          });
        }
        if (current && current.state === 'closed') {
          throw new AoError('PR_STATE', `PR #${n} in ${repo.fullName} was closed without merging: reopen it on GitHub to merge it.`, { cause: error });
        }
        throw new AoError(
          'PR_STATE',
          `GitHub refused to merge PR #${n} in ${repo.fullName} with method "${method}" (${reason}): required checks or reviews may be missing, ` +
            `or the repository does not allow ${method} merges (set mergeMethod in the scm config).`,
          { cause: error, details: { pr: pr.id, repo: repo.fullName, method } },
        );
      }
    },
  };
}
