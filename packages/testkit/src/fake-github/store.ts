/**
 * The fake's state: repos with their issues and PRs (one number space, as on GitHub), check runs,
 * statuses, reviews and threads. Both the test-facing helpers and the HTTP handlers mutate it
 * through these functions, so a PR created over REST and one added by a test look the same.
 */
import { fakeSha } from './shapes.js';
import type {
  CheckRunInput,
  FakeCheckRun,
  FakeIssue,
  FakeItem,
  FakePullRequest,
  FakeRepo,
  FakeReviewThread,
  FakeStatus,
  IssueInput,
  PullRequestInput,
  PullRequestPatch,
  StatusInput,
} from './types.js';

export interface Store {
  readonly login: string;
  /** A server-unique id for comments, reviews, check runs and statuses. */
  nextId(): number;
  now(): string;
  findRepo(fullName: string): FakeRepo | undefined;
  /** The repo, created with defaults when a test helper names one that doesn't exist yet. */
  repo(fullName: string): FakeRepo;
  addRepo(fullName: string, opts?: { defaultBranch?: string; private?: boolean }): FakeRepo;
  addIssue(repo: string, input: IssueInput, author?: string): FakeIssue;
  addPullRequest(repo: string, input: PullRequestInput, author?: string): FakePullRequest;
  updatePullRequest(repo: string, number: number, patch: PullRequestPatch): FakePullRequest;
  /** Changes an issue's or PR's open/closed state, keeping timestamps consistent. */
  setItemState(item: FakeItem, state: 'open' | 'closed' | 'merged', reason?: FakeIssue['stateReason']): void;
  setMilestone(repo: FakeRepo, item: FakeItem, title: string | null): void;
  item(repo: string, number: number): FakeItem;
  pull(repo: string, number: number): FakePullRequest;
  setCheckRuns(repo: string, sha: string, runs: CheckRunInput[]): void;
  setStatuses(repo: string, sha: string, statuses: StatusInput[]): void;
  addReview(repo: string, pr: number, review: { state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED'; body?: string; user?: string }): void;
  addReviewThread(repo: string, pr: number, thread: { path?: string; line?: number; comments: { body: string; user?: string }[]; resolved?: boolean }): void;
  /** The sha a `:ref` path segment names: a known sha (or unique prefix), a PR head branch, the default branch. */
  resolveRef(repo: FakeRepo, ref: string): string | undefined;
  findCheckRun(repo: FakeRepo, id: number): FakeCheckRun | undefined;
}

function splitName(fullName: string): [string, string] {
  const [owner, name, ...rest] = fullName.split('/');
  if (!owner || !name || rest.length > 0) throw new Error(`fake GitHub: repo names look like "owner/name", got "${fullName}"`);
  return [owner, name];
}

export function createStore(login: string): Store {
  const repos = new Map<string, FakeRepo>();
  let idCounter = 1000;
  const nextId = (): number => ++idCounter;
  const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

  const addRepo: Store['addRepo'] = (fullName, opts = {}) => {
    const [owner, name] = splitName(fullName);
    const key = fullName.toLowerCase();
    const existing = repos.get(key);
    if (existing) {
      if (opts.defaultBranch !== undefined) existing.defaultBranch = opts.defaultBranch;
      if (opts.private !== undefined) existing.private = opts.private;
      return existing;
    }
    const repo: FakeRepo = {
      id: repos.size + 1,
      owner,
      name,
      fullName,
      defaultBranch: opts.defaultBranch ?? 'main',
      private: opts.private ?? false,
      items: new Map(),
      nextNumber: 1,
      milestones: new Map(),
      checkRuns: new Map(),
      statuses: new Map(),
    };
    repos.set(key, repo);
    return repo;
  };
  const findRepo = (fullName: string): FakeRepo | undefined => repos.get(fullName.toLowerCase());
  const repo = (fullName: string): FakeRepo => findRepo(fullName) ?? addRepo(fullName);

  const claimNumber = (r: FakeRepo, wanted: number | undefined): number => {
    const number = wanted ?? r.nextNumber;
    if (r.items.has(number)) throw new Error(`fake GitHub: ${r.fullName}#${number} already exists`);
    r.nextNumber = Math.max(r.nextNumber, number + 1);
    return number;
  };

  const setMilestone: Store['setMilestone'] = (r, item, title) => {
    if (title !== null && !r.milestones.has(title)) r.milestones.set(title, r.milestones.size + 1);
    item.milestone = title;
  };

  const setItemState: Store['setItemState'] = (item, state, reason) => {
    const stamp = now();
    item.updatedAt = stamp;
    if (item.isPullRequest) {
      if (state === 'merged' && !item.merged) {
        item.merged = true;
        item.mergedAt = stamp;
        item.mergeCommitSha ??= fakeSha('merge', item.headSha, item.number);
      }
      if (state === 'open' && item.merged) return; // GitHub can't reopen a merged PR
      item.state = item.merged ? 'merged' : state;
    } else {
      item.state = state === 'open' ? 'open' : 'closed';
      item.stateReason = state === 'open' ? (item.closedAt ? 'reopened' : null) : (reason ?? 'completed');
    }
    item.closedAt = item.state === 'open' ? null : (item.closedAt ?? stamp);
  };

  const addIssue: Store['addIssue'] = (repoName, input, author = login) => {
    const r = repo(repoName);
    const stamp = now();
    const issue: FakeIssue = {
      isPullRequest: false,
      number: claimNumber(r, input.number),
      title: input.title,
      body: input.body ?? null,
      labels: [...(input.labels ?? [])],
      assignees: [...(input.assignees ?? [])],
      milestone: null,
      comments: [],
      author,
      createdAt: stamp,
      updatedAt: stamp,
      closedAt: null,
      state: 'open',
      stateReason: null,
    };
    setMilestone(r, issue, input.milestone ?? null);
    r.items.set(issue.number, issue);
    if (input.state === 'closed') setItemState(issue, 'closed');
    return issue;
  };

  const addPullRequest: Store['addPullRequest'] = (repoName, input, author = login) => {
    const r = repo(repoName);
    const stamp = now();
    const number = claimNumber(r, input.number);
    const pr: FakePullRequest = {
      isPullRequest: true,
      number,
      title: input.title ?? input.head,
      body: input.body ?? null,
      labels: [...(input.labels ?? [])],
      assignees: [...(input.assignees ?? [])],
      milestone: null,
      comments: [],
      author,
      createdAt: stamp,
      updatedAt: stamp,
      closedAt: null,
      state: 'open',
      merged: false,
      mergedAt: null,
      mergeMethod: null,
      mergeCommitSha: null,
      head: input.head,
      base: input.base ?? r.defaultBranch,
      headSha: input.headSha ?? fakeSha(r.fullName, input.head, number),
      mergeable: input.mergeable === undefined ? true : input.mergeable,
      draft: input.draft ?? false,
      reviews: [],
      threads: [],
    };
    r.items.set(number, pr);
    if (input.state && input.state !== 'open') setItemState(pr, input.state);
    return pr;
  };

  const item: Store['item'] = (repoName, number) => {
    const found = findRepo(repoName)?.items.get(number);
    if (!found) throw new Error(`fake GitHub: no issue or PR ${repoName}#${number}`);
    return found;
  };
  const pull: Store['pull'] = (repoName, number) => {
    const found = item(repoName, number);
    if (!found.isPullRequest) throw new Error(`fake GitHub: ${repoName}#${number} is an issue, not a PR`);
    return found;
  };

  const updatePullRequest: Store['updatePullRequest'] = (repoName, number, patch) => {
    const pr = pull(repoName, number);
    const { state, ...rest } = patch;
    Object.assign(pr, rest);
    pr.updatedAt = now();
    if (state !== undefined) setItemState(pr, state);
    return pr;
  };

  const setCheckRuns: Store['setCheckRuns'] = (repoName, sha, runs) => {
    const stamp = now();
    const r = repo(repoName);
    r.checkRuns.set(
      sha,
      runs.map((run) => {
        const id = run.id ?? nextId();
        idCounter = Math.max(idCounter, id);
        return {
          id,
          name: run.name,
          status: run.status,
          conclusion: run.status === 'completed' ? (run.conclusion ?? null) : null,
          log: run.log ?? '',
          detailsUrl: run.detailsUrl ?? `https://github.com/${r.fullName}/actions/runs/${id}/job/${id}`,
          output: { title: run.output?.title ?? null, summary: run.output?.summary ?? null, text: run.output?.text ?? null },
          headSha: sha,
          startedAt: stamp,
          completedAt: run.status === 'completed' ? stamp : null,
        };
      }),
    );
  };

  const setStatuses: Store['setStatuses'] = (repoName, sha, statuses) => {
    const stamp = now();
    const list: FakeStatus[] = statuses.map((s) => ({ id: nextId(), context: s.context, state: s.state, description: s.description ?? null, targetUrl: s.target_url ?? null, createdAt: stamp }));
    repo(repoName).statuses.set(sha, list);
  };

  const addReview: Store['addReview'] = (repoName, number, review) => {
    const pr = pull(repoName, number);
    pr.reviews.push({ id: nextId(), state: review.state, body: review.body ?? '', user: review.user ?? 'reviewer', submittedAt: now(), commitId: pr.headSha });
    // A review bumps the PR's updated_at / updatedAt on GitHub; a check run does not.
    pr.updatedAt = now();
  };

  const addReviewThread: Store['addReviewThread'] = (repoName, number, thread) => {
    const pr = pull(repoName, number);
    const stamp = now();
    const built: FakeReviewThread = {
      path: thread.path ?? 'README.md',
      line: thread.line ?? null,
      resolved: thread.resolved ?? false,
      comments: thread.comments.map((c) => ({ id: nextId(), body: c.body, user: c.user ?? 'reviewer', createdAt: stamp })),
    };
    pr.threads.push(built);
    pr.updatedAt = stamp;
  };

  const knownShas = (r: FakeRepo): string[] => [
    ...r.checkRuns.keys(),
    ...r.statuses.keys(),
    ...[...r.items.values()].flatMap((i) => (i.isPullRequest ? [i.headSha] : [])),
  ];

  const resolveRef: Store['resolveRef'] = (r, ref) => {
    const shas = knownShas(r);
    if (shas.includes(ref)) return ref;
    const branch = ref.replace(/^(refs\/)?heads\//, '');
    const prs = [...r.items.values()].filter((i): i is FakePullRequest => i.isPullRequest && i.head === branch);
    prs.sort((a, b) => Number(b.state === 'open') - Number(a.state === 'open') || b.number - a.number);
    if (prs[0]) return prs[0].headSha;
    if (branch === r.defaultBranch) return fakeSha(r.fullName, 'base', branch);
    if (/^[0-9a-f]{40}$/i.test(ref)) return ref.toLowerCase();
    if (/^[0-9a-f]{7,39}$/i.test(ref)) {
      const matches = [...new Set(shas.filter((sha) => sha.startsWith(ref.toLowerCase())))];
      if (matches.length === 1) return matches[0];
    }
    return undefined;
  };

  const findCheckRun: Store['findCheckRun'] = (r, id) => {
    for (const runs of r.checkRuns.values()) {
      const run = runs.find((x) => x.id === id);
      if (run) return run;
    }
    return undefined;
  };

  return {
    login,
    nextId,
    now,
    findRepo,
    repo,
    addRepo,
    addIssue,
    addPullRequest,
    updatePullRequest,
    setItemState,
    setMilestone,
    item,
    pull,
    setCheckRuns,
    setStatuses,
    addReview,
    addReviewThread,
    resolveRef,
    findCheckRun,
  };
}
