/**
 * Turns the fake's state into the JSON GitHub's REST API sends: the same field names, nesting and
 * nullability as api.github.com for every field ao reads, plus the common neighbours a client
 * written against the real API might touch (`id`, `node_id`, `url`, timestamps).
 */
import { createHash } from 'node:crypto';
import type { FakeCheckRun, FakeComment, FakeIssue, FakeItem, FakePullRequest, FakeRepo, FakeReview, FakeStatus } from './types.js';

/** Where API (`url`) and web (`html_url`) links point. */
export interface ShapeContext {
  apiUrl: string;
  login: string;
}

const WEB = 'https://github.com';

export function fakeSha(...parts: (string | number)[]): string {
  return createHash('sha1').update(parts.join('\0')).digest('hex');
}

function nodeId(kind: string, id: number | string): string {
  return Buffer.from(`${kind}:${id}`).toString('base64');
}

function userId(login: string): number {
  return Number.parseInt(fakeSha('user', login).slice(0, 7), 16);
}

/** GitHub's `simple-user`: every required field, API URLs on api.github.com as GitHub writes them. */
export function userJson(login: string): Record<string, unknown> {
  const api = `https://api.github.com/users/${login}`;
  return {
    login,
    id: userId(login),
    node_id: nodeId('User', login),
    avatar_url: `https://avatars.githubusercontent.com/u/${userId(login)}?v=4`,
    gravatar_id: '',
    url: api,
    html_url: `${WEB}/${login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: login.endsWith('[bot]') ? 'Bot' : 'User',
    site_admin: false,
  };
}

const EPOCH = '2024-01-01T00:00:00Z';

/** `GET /user` for the token's owner (GitHub's `private-user`). */
export function authenticatedUserJson(login: string): Record<string, unknown> {
  return {
    ...userJson(login),
    name: login,
    company: null,
    blog: '',
    location: null,
    email: null,
    hireable: null,
    bio: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: EPOCH,
    updated_at: EPOCH,
    private_gists: 0,
    total_private_repos: 0,
    owned_private_repos: 0,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: true,
  };
}

/** The GitHub Actions app, as check runs carry it. */
export function actionsAppJson(): Record<string, unknown> {
  return {
    id: 15368,
    slug: 'github-actions',
    node_id: nodeId('App', 15368),
    owner: { ...userJson('github'), type: 'Organization' },
    name: 'GitHub Actions',
    description: 'Automate your workflow from idea to production',
    external_url: 'https://help.github.com/en/actions',
    html_url: `${WEB}/apps/github-actions`,
    created_at: '2018-07-30T09:30:17Z',
    updated_at: '2019-12-10T19:04:12Z',
    permissions: { checks: 'write', contents: 'write', metadata: 'read', pull_requests: 'write', statuses: 'write' },
    events: ['check_run', 'check_suite', 'pull_request', 'push', 'status'],
  };
}

/** The URL templates every repository object carries (`<repo api url><path>`). */
const REPO_URLS: Record<string, string> = {
  archive_url: '/{archive_format}{/ref}',
  assignees_url: '/assignees{/user}',
  blobs_url: '/git/blobs{/sha}',
  branches_url: '/branches{/branch}',
  collaborators_url: '/collaborators{/collaborator}',
  comments_url: '/comments{/number}',
  commits_url: '/commits{/sha}',
  compare_url: '/compare/{base}...{head}',
  contents_url: '/contents/{+path}',
  contributors_url: '/contributors',
  deployments_url: '/deployments',
  downloads_url: '/downloads',
  events_url: '/events',
  forks_url: '/forks',
  git_commits_url: '/git/commits{/sha}',
  git_refs_url: '/git/refs{/sha}',
  git_tags_url: '/git/tags{/sha}',
  hooks_url: '/hooks',
  issue_comment_url: '/issues/comments{/number}',
  issue_events_url: '/issues/events{/number}',
  issues_url: '/issues{/number}',
  keys_url: '/keys{/key_id}',
  labels_url: '/labels{/name}',
  languages_url: '/languages',
  merges_url: '/merges',
  milestones_url: '/milestones{/number}',
  notifications_url: '/notifications{?since,all,participating}',
  pulls_url: '/pulls{/number}',
  releases_url: '/releases{/id}',
  stargazers_url: '/stargazers',
  statuses_url: '/statuses/{sha}',
  subscribers_url: '/subscribers',
  subscription_url: '/subscription',
  tags_url: '/tags',
  teams_url: '/teams',
  trees_url: '/git/trees{/sha}',
};

/** A repository as `GET /repos/:o/:r` sends it (`full-repository`); embedded copies use the same object. */
export function repoJson(repo: FakeRepo, ctx: ShapeContext): Record<string, unknown> {
  const api = `${ctx.apiUrl}/repos/${repo.fullName}`;
  const openIssues = [...repo.items.values()].filter((i) => i.state === 'open').length;
  return {
    id: repo.id,
    node_id: nodeId('Repository', repo.id),
    name: repo.name,
    full_name: repo.fullName,
    private: repo.private,
    visibility: repo.private ? 'private' : 'public',
    owner: userJson(repo.owner),
    html_url: `${WEB}/${repo.fullName}`,
    url: api,
    clone_url: `${WEB}/${repo.fullName}.git`,
    ssh_url: `git@github.com:${repo.fullName}.git`,
    git_url: `git://github.com/${repo.fullName}.git`,
    svn_url: `${WEB}/${repo.fullName}`,
    mirror_url: null,
    default_branch: repo.defaultBranch,
    description: null,
    homepage: null,
    language: null,
    license: null,
    fork: false,
    archived: false,
    disabled: false,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    subscribers_count: 0,
    network_count: 0,
    open_issues: openIssues,
    open_issues_count: openIssues,
    size: 0,
    created_at: EPOCH,
    updated_at: EPOCH,
    pushed_at: EPOCH,
    permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
    ...Object.fromEntries(
      Object.entries(REPO_URLS).map(([key, path]) => [key, `${api}${path}`]),
    ),
  };
}

function labelJson(repo: FakeRepo, name: string, ctx: ShapeContext): Record<string, unknown> {
  const id = Number.parseInt(fakeSha('label', repo.fullName, name).slice(0, 7), 16);
  return { id, node_id: nodeId('Label', id), url: `${ctx.apiUrl}/repos/${repo.fullName}/labels/${encodeURIComponent(name)}`, name, color: 'ededed', default: false, description: null };
}

function milestoneJson(repo: FakeRepo, title: string | null, ctx: ShapeContext): Record<string, unknown> | null {
  if (title === null) return null;
  const number = repo.milestones.get(title) ?? 0;
  const id = repo.id * 1000 + number;
  return {
    url: `${ctx.apiUrl}/repos/${repo.fullName}/milestones/${number}`,
    html_url: `${WEB}/${repo.fullName}/milestone/${number}`,
    id,
    node_id: nodeId('Milestone', id),
    number,
    title,
    description: null,
    state: 'open',
    labels_url: `${ctx.apiUrl}/repos/${repo.fullName}/milestones/${number}/labels`,
    creator: userJson(repo.owner),
    open_issues: [...repo.items.values()].filter((i) => i.milestone === title && i.state === 'open').length,
    closed_issues: [...repo.items.values()].filter((i) => i.milestone === title && i.state !== 'open').length,
    created_at: EPOCH,
    updated_at: EPOCH,
    closed_at: null,
    due_on: null,
  };
}

function itemId(repo: FakeRepo, number: number): number {
  return repo.id * 100_000 + number;
}

export function issueUrl(repo: FakeRepo, item: FakeItem): string {
  return `${WEB}/${repo.fullName}/${item.isPullRequest ? 'pull' : 'issues'}/${item.number}`;
}

/** An issue as `GET /repos/:o/:r/issues[/:n]` sends it; PRs carry the `pull_request` key there. */
export function issueJson(repo: FakeRepo, item: FakeItem, ctx: ShapeContext): Record<string, unknown> {
  const api = `${ctx.apiUrl}/repos/${repo.fullName}/issues/${item.number}`;
  const json: Record<string, unknown> = {
    url: api,
    repository_url: `${ctx.apiUrl}/repos/${repo.fullName}`,
    labels_url: `${api}/labels{/name}`,
    comments_url: `${api}/comments`,
    events_url: `${api}/events`,
    html_url: issueUrl(repo, item),
    id: itemId(repo, item.number),
    node_id: nodeId(item.isPullRequest ? 'PullRequest' : 'Issue', itemId(repo, item.number)),
    number: item.number,
    title: item.title,
    user: userJson(item.author),
    labels: item.labels.map((name) => labelJson(repo, name, ctx)),
    state: item.state === 'open' ? 'open' : 'closed',
    state_reason: item.isPullRequest ? null : (item as FakeIssue).stateReason,
    locked: false,
    assignee: item.assignees[0] === undefined ? null : userJson(item.assignees[0]),
    assignees: item.assignees.map(userJson),
    milestone: milestoneJson(repo, item.milestone, ctx),
    comments: item.comments.length,
    created_at: item.createdAt,
    updated_at: item.updatedAt,
    closed_at: item.closedAt,
    author_association: 'OWNER',
    body: item.body,
  };
  if (item.isPullRequest) {
    const pulls = `${ctx.apiUrl}/repos/${repo.fullName}/pulls/${item.number}`;
    json.pull_request = { url: pulls, html_url: issueUrl(repo, item), diff_url: `${issueUrl(repo, item)}.diff`, patch_url: `${issueUrl(repo, item)}.patch`, merged_at: item.mergedAt };
  }
  return json;
}

export function commentJson(repo: FakeRepo, issueNumber: number, comment: FakeComment, ctx: ShapeContext): Record<string, unknown> {
  return {
    id: comment.id,
    node_id: nodeId('IssueComment', comment.id),
    url: `${ctx.apiUrl}/repos/${repo.fullName}/issues/comments/${comment.id}`,
    html_url: `${WEB}/${repo.fullName}/issues/${issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${ctx.apiUrl}/repos/${repo.fullName}/issues/${issueNumber}`,
    body: comment.body,
    user: userJson(comment.user),
    created_at: comment.createdAt,
    updated_at: comment.createdAt,
    author_association: 'OWNER',
  };
}

/** Latest decisive review per user decides, as on GitHub; COMMENTED reviews never do. */
export function reviewDecision(pr: FakePullRequest): 'APPROVED' | 'CHANGES_REQUESTED' | 'REVIEW_REQUIRED' | null {
  if (pr.reviewDecision !== undefined) return pr.reviewDecision;
  const latest = new Map<string, FakeReview['state']>();
  for (const review of pr.reviews) {
    if (review.state === 'COMMENTED') continue;
    latest.set(review.user, review.state);
  }
  const states = [...latest.values()];
  if (states.includes('CHANGES_REQUESTED')) return 'CHANGES_REQUESTED';
  if (states.includes('APPROVED')) return 'APPROVED';
  return null;
}

const FAILING = new Set(['failure', 'cancelled', 'timed_out', 'action_required']);

/** GitHub's rollup of check runs and commit statuses on one sha (GraphQL `statusCheckRollup.state`). */
export function rollupState(runs: FakeCheckRun[], statuses: FakeStatus[]): 'SUCCESS' | 'FAILURE' | 'PENDING' | 'ERROR' | null {
  if (runs.length === 0 && statuses.length === 0) return null;
  if (runs.some((r) => r.status === 'completed' && r.conclusion !== null && FAILING.has(r.conclusion)) || statuses.some((s) => s.state === 'failure')) return 'FAILURE';
  if (statuses.some((s) => s.state === 'error')) return 'ERROR';
  if (runs.some((r) => r.status !== 'completed') || statuses.some((s) => s.state === 'pending')) return 'PENDING';
  return 'SUCCESS';
}

/** `mergeable_state` as GitHub derives it, unless the test pinned one. */
function mergeableState(pr: FakePullRequest, repo: FakeRepo): string {
  if (pr.mergeableState !== undefined) return pr.mergeableState;
  if (pr.state !== 'open' || pr.mergeable === null) return 'unknown';
  if (pr.mergeable === false) return 'dirty';
  if (pr.draft) return 'draft';
  if (reviewDecision(pr) === 'CHANGES_REQUESTED') return 'blocked';
  const rollup = rollupState(repo.checkRuns.get(pr.headSha) ?? [], repo.statuses.get(pr.headSha) ?? []);
  if (rollup === 'FAILURE' || rollup === 'ERROR' || rollup === 'PENDING') return 'unstable';
  return 'clean';
}

function branchJson(repo: FakeRepo, ref: string, sha: string, ctx: ShapeContext): Record<string, unknown> {
  return { label: `${repo.owner}:${ref}`, ref, sha, user: userJson(repo.owner), repo: repoJson(repo, ctx) };
}

/**
 * A PR as the pulls API sends it. `detail` adds what only `GET /pulls/:n` (and create) carry:
 * `merged`, `mergeable`, `mergeable_state`, counts — the list endpoint omits them on GitHub too.
 */
export function pullJson(repo: FakeRepo, pr: FakePullRequest, ctx: ShapeContext, detail: boolean): Record<string, unknown> {
  const api = `${ctx.apiUrl}/repos/${repo.fullName}/pulls/${pr.number}`;
  const json: Record<string, unknown> = {
    url: api,
    id: itemId(repo, pr.number),
    node_id: nodeId('PullRequest', itemId(repo, pr.number)),
    html_url: issueUrl(repo, pr),
    diff_url: `${issueUrl(repo, pr)}.diff`,
    patch_url: `${issueUrl(repo, pr)}.patch`,
    issue_url: `${ctx.apiUrl}/repos/${repo.fullName}/issues/${pr.number}`,
    commits_url: `${api}/commits`,
    review_comments_url: `${api}/comments`,
    review_comment_url: `${ctx.apiUrl}/repos/${repo.fullName}/pulls/comments{/number}`,
    comments_url: `${ctx.apiUrl}/repos/${repo.fullName}/issues/${pr.number}/comments`,
    statuses_url: `${ctx.apiUrl}/repos/${repo.fullName}/statuses/${pr.headSha}`,
    _links: {
      self: { href: api },
      html: { href: issueUrl(repo, pr) },
      issue: { href: `${ctx.apiUrl}/repos/${repo.fullName}/issues/${pr.number}` },
      comments: { href: `${ctx.apiUrl}/repos/${repo.fullName}/issues/${pr.number}/comments` },
      review_comments: { href: `${api}/comments` },
      review_comment: { href: `${ctx.apiUrl}/repos/${repo.fullName}/pulls/comments{/number}` },
      commits: { href: `${api}/commits` },
      statuses: { href: `${ctx.apiUrl}/repos/${repo.fullName}/statuses/${pr.headSha}` },
    },
    number: pr.number,
    state: pr.state === 'open' ? 'open' : 'closed',
    locked: false,
    title: pr.title,
    user: userJson(pr.author),
    body: pr.body,
    labels: pr.labels.map((name) => labelJson(repo, name, ctx)),
    milestone: milestoneJson(repo, pr.milestone, ctx),
    created_at: pr.createdAt,
    updated_at: pr.updatedAt,
    closed_at: pr.closedAt,
    merged_at: pr.mergedAt,
    merge_commit_sha: pr.mergeCommitSha,
    assignee: pr.assignees[0] === undefined ? null : userJson(pr.assignees[0]),
    assignees: pr.assignees.map(userJson),
    requested_reviewers: [],
    draft: pr.draft,
    head: branchJson(repo, pr.head, pr.headSha, ctx),
    base: branchJson(repo, pr.base, fakeSha(repo.fullName, 'base', pr.base), ctx),
    author_association: 'OWNER',
    auto_merge: null,
  };
  if (detail) {
    Object.assign(json, {
      merged: pr.merged,
      mergeable: pr.state === 'open' ? pr.mergeable : null,
      rebaseable: pr.state === 'open' ? pr.mergeable : null,
      mergeable_state: mergeableState(pr, repo),
      merged_by: pr.merged ? userJson(pr.author) : null,
      comments: pr.comments.length,
      review_comments: pr.threads.reduce((n, t) => n + t.comments.length, 0),
      maintainer_can_modify: false,
      commits: 1,
      additions: 0,
      deletions: 0,
      changed_files: 0,
    });
  }
  return json;
}

export function reviewJson(repo: FakeRepo, pr: FakePullRequest, review: FakeReview, ctx: ShapeContext): Record<string, unknown> {
  return {
    id: review.id,
    node_id: nodeId('PullRequestReview', review.id),
    user: userJson(review.user),
    body: review.body,
    state: review.state,
    html_url: `${issueUrl(repo, pr)}#pullrequestreview-${review.id}`,
    pull_request_url: `${ctx.apiUrl}/repos/${repo.fullName}/pulls/${pr.number}`,
    submitted_at: review.submittedAt,
    commit_id: review.commitId,
    _links: { html: { href: `${issueUrl(repo, pr)}#pullrequestreview-${review.id}` }, pull_request: { href: `${ctx.apiUrl}/repos/${repo.fullName}/pulls/${pr.number}` } },
    author_association: 'COLLABORATOR',
  };
}

/** Review comments of every thread, flattened like `GET /pulls/:n/comments`: replies point at the thread's first comment. */
export function reviewCommentsJson(repo: FakeRepo, pr: FakePullRequest, ctx: ShapeContext): Record<string, unknown>[] {
  return pr.threads.flatMap((thread) =>
    thread.comments.map((comment, index) => ({
      id: comment.id,
      node_id: nodeId('PullRequestReviewComment', comment.id),
      url: `${ctx.apiUrl}/repos/${repo.fullName}/pulls/comments/${comment.id}`,
      pull_request_review_id: null,
      diff_hunk: '@@ -1 +1 @@',
      path: thread.path,
      position: thread.line,
      original_position: thread.line,
      commit_id: pr.headSha,
      original_commit_id: pr.headSha,
      user: userJson(comment.user),
      body: comment.body,
      created_at: comment.createdAt,
      updated_at: comment.createdAt,
      html_url: `${issueUrl(repo, pr)}#discussion_r${comment.id}`,
      _links: {
        self: { href: `${ctx.apiUrl}/repos/${repo.fullName}/pulls/comments/${comment.id}` },
        html: { href: `${issueUrl(repo, pr)}#discussion_r${comment.id}` },
        pull_request: { href: `${ctx.apiUrl}/repos/${repo.fullName}/pulls/${pr.number}` },
      },
      pull_request_url: `${ctx.apiUrl}/repos/${repo.fullName}/pulls/${pr.number}`,
      author_association: 'COLLABORATOR',
      line: thread.line,
      original_line: thread.line,
      side: 'RIGHT',
      start_line: null,
      subject_type: thread.line === null ? 'file' : 'line',
      ...(index > 0 && thread.comments[0] ? { in_reply_to_id: thread.comments[0].id } : {}),
    })),
  );
}

export function checkRunJson(repo: FakeRepo, run: FakeCheckRun, ctx: ShapeContext): Record<string, unknown> {
  return {
    id: run.id,
    node_id: nodeId('CheckRun', run.id),
    head_sha: run.headSha,
    external_id: String(run.id),
    url: `${ctx.apiUrl}/repos/${repo.fullName}/check-runs/${run.id}`,
    html_url: run.detailsUrl,
    details_url: run.detailsUrl,
    status: run.status,
    conclusion: run.status === 'completed' ? run.conclusion : null,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    output: { title: run.output.title, summary: run.output.summary, text: run.output.text, annotations_count: 0, annotations_url: `${ctx.apiUrl}/repos/${repo.fullName}/check-runs/${run.id}/annotations` },
    name: run.name,
    check_suite: { id: run.id },
    app: actionsAppJson(),
    pull_requests: [],
  };
}

export function statusJson(repo: FakeRepo, sha: string, status: FakeStatus, ctx: ShapeContext): Record<string, unknown> {
  return {
    url: `${ctx.apiUrl}/repos/${repo.fullName}/statuses/${sha}`,
    avatar_url: null,
    id: status.id,
    node_id: nodeId('StatusContext', status.id),
    state: status.state,
    description: status.description,
    target_url: status.targetUrl,
    context: status.context,
    created_at: status.createdAt,
    updated_at: status.createdAt,
  };
}

/** `GET /commits/:ref/status`: failure if any failed or errored, pending if none or any pending, else success. */
export function combinedStatusJson(repo: FakeRepo, sha: string, statuses: FakeStatus[], ctx: ShapeContext): Record<string, unknown> {
  let state = 'success';
  if (statuses.length === 0 || statuses.some((s) => s.state === 'pending')) state = 'pending';
  if (statuses.some((s) => s.state === 'failure' || s.state === 'error')) state = 'failure';
  return {
    state,
    statuses: statuses.map((s) => statusJson(repo, sha, s, ctx)),
    sha,
    total_count: statuses.length,
    repository: repoJson(repo, ctx),
    commit_url: `${ctx.apiUrl}/repos/${repo.fullName}/commits/${sha}`,
    url: `${ctx.apiUrl}/repos/${repo.fullName}/commits/${sha}/status`,
  };
}
