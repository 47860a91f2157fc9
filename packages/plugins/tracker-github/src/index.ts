/**
 * tracker-github: GitHub issues as ao's work items, through the one shared GitHub client (ETag
 * cache, rate-limit pacing, retries). Pull requests, which GitHub's issues API also returns, are
 * never treated as issues.
 */
import { AoError, definePlugin, z, type Issue, type IssueFilter, type NewIssue, type PluginContext, type Tracker } from '@ao/core/plugin';
import { createGitHubClient, httpStatus, parseRepo, RepoSchema, toAoError, type GitHubClient } from '@ao/github';

const configSchema = z
  .object({
    /** The repository whose issues ao works from: `owner/name`. */
    repo: RepoSchema,
    /**
     * Labels that mark ao's issues: `listIssues` (`ao issue ls`, `ao batch-spawn --label`) only
     * returns issues that carry all of them, and issues ao creates get them. `ao spawn <n>` still
     * takes any issue by number.
     */
    labels: z.array(z.string().trim().min(1)).optional(),
  })
  .strict();

export type GitHubTrackerConfig = z.infer<typeof configSchema>;

/** The tracker plus GitHub-only extras. */
export interface GitHubTracker extends Tracker {
  readonly repo: string;
  /** Adds assignees to an issue (existing ones stay). */
  assign(id: string, logins: readonly string[]): Promise<void>;
}

/** The fields of GitHub's issue JSON that ao reads. */
interface IssueJson {
  number: number;
  title: string;
  body?: string | null;
  state: string;
  html_url?: string;
  labels: Array<string | { name?: string | null }>;
  assignees?: Array<{ login: string }> | null;
  milestone?: { title: string; number: number } | null;
  pull_request?: unknown;
}

export function issueFromJson(json: IssueJson): Issue {
  return {
    id: String(json.number),
    title: json.title,
    body: json.body ?? '',
    labels: json.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter(Boolean),
    assignees: (json.assignees ?? []).map((a) => a.login),
    state: json.state === 'closed' ? 'closed' : 'open',
    ...(json.html_url ? { url: json.html_url } : {}),
  };
}

/** The repository's issues API takes a milestone *number*; titles are matched on our side. */
function milestoneParam(milestone: string | undefined): string | undefined {
  if (milestone === undefined) return undefined;
  return /^(\d+|\*|none)$/.test(milestone) ? milestone : undefined;
}

function matchesMilestone(json: IssueJson, milestone: string | undefined): boolean {
  if (milestone === undefined || milestoneParam(milestone) !== undefined) return true;
  return json.milestone?.title === milestone;
}

export function createGitHubTracker(config: GitHubTrackerConfig, ctx: Pick<PluginContext, 'env' | 'exec' | 'logger' | 'clock'>, client?: GitHubClient): GitHubTracker {
  const repo = parseRepo(config.repo);
  const gh = client ?? createGitHubClient({ env: ctx.env, exec: ctx.exec, logger: ctx.logger, clock: ctx.clock });
  const base = { owner: repo.owner, repo: repo.name };
  const configLabels = config.labels ?? [];

  function issueNumber(id: string): number {
    const match = /^#?(\d+)$/.exec(id.trim());
    if (!match || Number(match[1]) < 1) {
      throw new AoError('ISSUE_NOT_FOUND', `Issue "${id}" not found: GitHub issues are numbers like 42 or #42 (in ${repo.fullName}).`, {
        details: { id, repo: repo.fullName },
      });
    }
    return Number(match[1]);
  }

  function notFound(n: number, why = ''): AoError {
    return new AoError(
      'ISSUE_NOT_FOUND',
      `Issue #${n} not found in ${repo.fullName}${why}: check the number at https://github.com/${repo.fullName}/issues (ao issue ls lists open ones).`,
      { details: { id: String(n), repo: repo.fullName } },
    );
  }

  /**
   * A 404 on an issue is ambiguous: the issue or the whole repository (or the token can't see it).
   * One extra request on the error path tells them apart, so the message points at the real cause.
   */
  async function explain404(error: unknown, n: number, what: string): Promise<AoError> {
    const status = httpStatus(error);
    if (status !== 404 && status !== 410) return toAoError(error, { what, repo: repo.fullName, scopes: gh.scopes() });
    try {
      await gh.octokit.rest.repos.get(base);
    } catch (repoError) {
      return toAoError(repoError, { what: `reading repository ${repo.fullName}`, repo: repo.fullName, scopes: gh.scopes() });
    }
    return notFound(n, status === 410 ? ' (it was deleted)' : '');
  }

  async function call<T>(n: number, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw await explain404(error, n, what);
    }
  }

  return {
    repo: repo.fullName,

    async getIssue(id) {
      const n = issueNumber(id);
      const { data } = await call(n, `reading issue #${n} of ${repo.fullName}`, () => gh.octokit.rest.issues.get({ ...base, issue_number: n }));
      if ((data as IssueJson).pull_request) throw notFound(n, ` (#${n} is a pull request, not an issue)`);
      return issueFromJson(data as IssueJson);
    },

    async listIssues(filter: IssueFilter = {}) {
      if (filter.limit !== undefined && (!Number.isInteger(filter.limit) || filter.limit < 0)) {
        throw new AoError('USAGE', `Issue list limit must be a whole number >= 0, got ${filter.limit}.`);
      }
      const limit = filter.limit ?? Number.POSITIVE_INFINITY;
      if (limit === 0) return [];
      const labels = [...new Set([...configLabels, ...(filter.labels ?? [])])];
      const milestone = milestoneParam(filter.milestone);
      const params = {
        ...base,
        state: filter.state ?? 'open',
        per_page: 100,
        ...(labels.length ? { labels: labels.join(',') } : {}),
        ...(filter.assignee ? { assignee: filter.assignee } : {}),
        ...(milestone ? { milestone } : {}),
      };
      const out: Issue[] = [];
      try {
        for await (const page of gh.octokit.paginate.iterator(gh.octokit.rest.issues.listForRepo, params)) {
          for (const json of page.data as IssueJson[]) {
            if (json.pull_request || !matchesMilestone(json, filter.milestone)) continue;
            out.push(issueFromJson(json));
            if (out.length >= limit) return out;
          }
        }
      } catch (error) {
        throw toAoError(error, { what: `listing issues of ${repo.fullName}`, repo: repo.fullName, scopes: gh.scopes() });
      }
      return out;
    },

    async createIssue(input: NewIssue) {
      const title = input.title.replace(/\s+/g, ' ').trim();
      if (!title) throw new AoError('USAGE', 'An issue needs a title: ao issue new "Fix the login redirect".');
      const labels = [...new Set([...configLabels, ...(input.labels ?? [])])];
      try {
        const { data } = await gh.octokit.rest.issues.create({ ...base, title, ...(input.body ? { body: input.body } : {}), ...(labels.length ? { labels } : {}) });
        return issueFromJson(data as IssueJson);
      } catch (error) {
        throw toAoError(error, { what: `creating an issue in ${repo.fullName}`, repo: repo.fullName, scopes: gh.scopes() });
      }
    },

    async comment(id, body) {
      const n = issueNumber(id);
      if (!body.trim()) throw new AoError('USAGE', `A comment on issue ${id} needs some text.`);
      await call(n, `commenting on issue #${n} of ${repo.fullName}`, () => gh.octokit.rest.issues.createComment({ ...base, issue_number: n, body }));
    },

    async close(id) {
      const n = issueNumber(id);
      // PATCHing state=closed on a closed issue is a no-op on GitHub: idempotent in one request.
      await call(n, `closing issue #${n} of ${repo.fullName}`, () => gh.octokit.rest.issues.update({ ...base, issue_number: n, state: 'closed' }));
    },

    async assign(id, logins) {
      const n = issueNumber(id);
      if (!logins.length) return;
      await call(n, `assigning issue #${n} of ${repo.fullName}`, () => gh.octokit.rest.issues.addAssignees({ ...base, issue_number: n, assignees: [...logins] }));
    },
  };
}

export default definePlugin({
  name: 'github',
  slot: 'tracker',
  version: '0.1.0',
  description: 'GitHub issues (token from GITHUB_TOKEN, GH_TOKEN or `gh auth token`)',
  configSchema,
  create: (config, ctx) => createGitHubTracker(config, ctx),
});
