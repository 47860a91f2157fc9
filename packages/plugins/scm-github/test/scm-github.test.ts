import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPluginContext, silentLogger, type Clock, type PullRequest } from '@ao/core/plugin';
import { startFakeGitHub, type FakeGitHub } from '@ao/testkit/fake-github';
import { checkGitHubRequests } from '@ao/testkit/github-openapi';
import plugin, { jobLogReport, type GitHubScm } from '../src/index.js';

let gh: FakeGitHub;
const REPO = 'acme/app';

/** Sleeps pass instantly (and are counted): backoff is exercised without waiting. */
function instantClock(): Clock & { slept: number[] } {
  const slept: number[] = [];
  return { slept, now: () => Date.now(), sleep: async (ms) => void slept.push(ms) };
}

async function scmFor(config: Record<string, unknown> = {}, clock: Clock = instantClock()): Promise<GitHubScm> {
  const ctx = createPluginContext({
    configDir: '/unused',
    env: { GITHUB_API_URL: gh.url, GITHUB_TOKEN: gh.token },
    logger: silentLogger,
    clock,
    project: { name: 'app', path: '/unused', defaultBranch: 'main' },
  });
  return (await plugin.create(plugin.configSchema.parse({ repo: REPO, ...config }), ctx)) as GitHubScm;
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

function prRef(n: number): PullRequest {
  const pr = gh.pullRequest(REPO, n);
  return { id: String(n), title: pr.title, branch: pr.head, baseBranch: pr.base, state: 'open', headSha: pr.headSha };
}

const stamp = (lines: string[]) => lines.map((line, i) => `2024-05-01T10:00:${String(i % 60).padStart(2, '0')}.1234567Z ${line}`).join('\n') + '\n';
/** A job log as GitHub serves it: a tape run whose one failure is far from the end, then nyc's table. */
const LOG = stamp([
  '##[group]Run npm test',
  '> lib@1.0.0 test',
  '> nyc tape test/*.js',
  '##[endgroup]',
  'TAP version 13',
  '# parses dates',
  'not ok 1 parses ISO dates',
  '  ---',
  "    operator: equal",
  "    expected: '2024-05-01'",
  "    actual:   '2024-5-1'",
  '    at: Test.<anonymous> (/home/runner/work/lib/lib/test/dates.js:7:5)',
  '  ...',
  ...Array.from({ length: 80 }, (_, i) => `ok ${i + 2} passing ${i + 2}`),
  '# fail  1',
  'All files |   91.3 |    80 |   100 |   91.3 |',
  '##[error]Process completed with exit code 1.',
]);

beforeEach(async () => {
  gh = await startFakeGitHub();
  gh.addRepo(REPO);
});

afterEach(async () => {
  // Whatever the plugin sent must be a documented GitHub call: REST against GitHub's OpenAPI
  // description, GraphQL against its schema (scripted failures aside).
  const sent = gh.requests.filter((r) => r.status < 500);
  await gh.close();
  expect(await checkGitHubRequests(sent)).toEqual([]);
});

describe('manifest', () => {
  it('is the github scm with a strict config, squash by default', () => {
    expect([plugin.name, plugin.slot]).toEqual(['github', 'scm']);
    expect(plugin.configSchema.parse({ repo: REPO })).toEqual({ repo: REPO, mergeMethod: 'squash', logTailLines: 40, logMaxChars: 6000 });
    expect(plugin.configSchema.safeParse({ repo: REPO, mergeMethod: 'ff' }).success).toBe(false);
    expect(plugin.configSchema.safeParse({ repo: REPO, extra: 1 }).success).toBe(false);
    expect(plugin.configSchema.safeParse({ repo: 'nope' }).success).toBe(false);
  });

  it('reports a job log by its failing tests, then its last lines, without GitHub timestamps or group markers', () => {
    const report = jobLogReport(LOG, { tailLines: 3, maxChars: 6000 });
    expect(report).toContain("✖ parses dates › parses ISO dates");
    expect(report).toContain("expected: '2024-05-01'");
    expect(report).toContain("actual:   '2024-5-1'");
    expect(report).toMatch(/End of the log:\n# fail {2}1\nAll files .*\n##\[error\]Process completed with exit code 1\.$/);
    expect(report).not.toContain('2024-05-01T10');
    expect(report).not.toContain('passing 2\n');
    // Nothing recognised: the start and the end.
    const plain = jobLogReport(stamp(Array.from({ length: 100 }, (_, i) => `line ${i + 1}`)), { tailLines: 2, maxChars: 6000 });
    expect(plain).toContain('line 1\n');
    expect(plain).toMatch(/line 99\nline 100$/);
    expect(plain).not.toContain('line 50\n');
  });
});

describe('polling', () => {
  it('polls every PR of the project with one signal query, and reads the detail only of PRs that changed', async () => {
    const numbers = [1, 2, 3].map((i) => gh.addPullRequest(REPO, { head: `b${i}` }));
    const scm = await scmFor();
    gh.resetRequests();
    const statuses = await scm.pollPullRequests(numbers.map(prRef));
    expect([...statuses.keys()]).toEqual(numbers.map(String));
    // First sight: the signal, then the detail of all three.
    expect(gh.requests.map((r) => [r.path, r.graphqlAliases, r.graphqlCost])).toEqual([
      ['/graphql', 3, 1],
      ['/graphql', 3, 1],
    ]);
    gh.resetRequests();
    await scm.pollPullRequests(numbers.map(prRef));
    expect(gh.requests).toHaveLength(1);
    gh.setCheckRuns(REPO, gh.pullRequest(REPO, numbers[1]!).headSha, [{ name: 'ci', status: 'in_progress' }]);
    gh.resetRequests();
    const after = await scm.pollPullRequests(numbers.map(prRef));
    expect(after.get(String(numbers[1]))!.ci.state).toBe('pending');
    expect(gh.requests.map((r) => r.graphqlAliases)).toEqual([3, 1]);
  });

  it('reports failing checks with the failing tests of the log, fetched once per head sha', async () => {
    const n = gh.addPullRequest(REPO, { head: 'feat' });
    const sha = gh.pullRequest(REPO, n).headSha;
    gh.setCheckRuns(REPO, sha, [
      { id: 501, name: 'test', status: 'completed', conclusion: 'failure', log: LOG },
      { id: 502, name: 'lint', status: 'completed', conclusion: 'success' },
    ]);
    gh.setStatuses(REPO, sha, [{ context: 'ci/legacy', state: 'error' }]);
    const scm = await scmFor({ logTailLines: 2 });
    gh.resetRequests();

    const first = (await scm.pollPullRequests([prRef(n)])).get(String(n))!;
    expect(first.ci).toMatchObject({ state: 'failing', sha, failing: ['test', 'ci/legacy'] });
    expect(first.ci.logTail).toContain("✖ parses dates › parses ISO dates");
    expect(first.ci.logTail).toMatch(/All files .*\n##\[error\]Process completed with exit code 1\.$/);
    expect(gh.requests.map((r) => r.path)).toEqual(['/graphql', '/graphql', `/repos/${REPO}/actions/jobs/501/logs`, expect.stringContaining('/_fake/job-logs/')]);

    gh.resetRequests();
    const second = (await scm.pollPullRequests([prRef(n)])).get(String(n))!;
    expect(second.ci.logTail).toBe(first.ci.logTail);
    expect(gh.requests.map((r) => r.path)).toEqual(['/graphql']);

    // A force-push: new head, new failure, a new log.
    gh.updatePullRequest(REPO, n, { headSha: 'f'.repeat(40) });
    gh.setCheckRuns(REPO, 'f'.repeat(40), [{ id: 601, name: 'test', status: 'completed', conclusion: 'timed_out', log: 'still broken\n' }]);
    gh.resetRequests();
    const third = (await scm.pollPullRequests([prRef(n)])).get(String(n))!;
    expect(third.pr.headSha).toBe('f'.repeat(40));
    expect(third.ci).toEqual({ state: 'failing', sha: 'f'.repeat(40), failing: ['test'], logTail: 'The log (no failing test recognised in it):\nstill broken' });
  });

  it('pages past the first page: a failing check beyond the 100th, a 25th reviewer, a 105th thread and its 23rd comment are all seen', async () => {
    const n = gh.addPullRequest(REPO, { head: 'big' });
    const sha = gh.pullRequest(REPO, n).headSha;
    gh.setCheckRuns(
      REPO,
      sha,
      Array.from({ length: 150 }, (_, i) => ({ id: 9000 + i, name: `check-${i + 1}`, status: 'completed' as const, conclusion: i === 149 ? ('failure' as const) : ('success' as const), log: 'boom' })),
    );
    for (let i = 1; i <= 24; i++) gh.addReview(REPO, n, { state: 'COMMENTED', user: `reader-${i}` });
    gh.addReview(REPO, n, { state: 'CHANGES_REQUESTED', user: 'reader-25' });
    gh.updatePullRequest(REPO, n, { reviewDecision: null });
    for (let i = 1; i <= 104; i++) gh.addReviewThread(REPO, n, { comments: [{ body: `nit ${i}` }], resolved: true });
    gh.addReviewThread(REPO, n, { path: 'last.ts', line: 1, comments: Array.from({ length: 23 }, (_, i) => ({ body: `comment ${i + 1}`, user: 'carol' })) });
    const scm = await scmFor();
    gh.resetRequests();

    const status = (await scm.pollPullRequests([prRef(n)])).get(String(n))!;
    expect(status.ci).toMatchObject({ state: 'failing', failing: ['check-150'] });
    // Without branch protection the latest reviews decide: the 25th reviewer asked for changes.
    expect(status.review.decision).toBe('changes_requested');
    expect(status.review.comments.map((c) => c.body)).toEqual(Array.from({ length: 23 }, (_, i) => `comment ${i + 1}`));
    // Signal, detail, then one query with every further page, then the last thread's comments.
    expect(gh.requests.filter((r) => r.path === '/graphql').length).toBeLessThanOrEqual(4);
    expect(gh.requests.every((r) => r.status === 200 || r.status === 302)).toBe(true);
  });

  it('maps pending, passing and no checks', async () => {
    const [pending, passing, none] = ['p', 'q', 'r'].map((head) => gh.addPullRequest(REPO, { head }));
    gh.setCheckRuns(REPO, gh.pullRequest(REPO, pending!).headSha, [
      { name: 'test', status: 'in_progress' },
      { name: 'lint', status: 'completed', conclusion: 'success' },
    ]);
    gh.setCheckRuns(REPO, gh.pullRequest(REPO, passing!).headSha, [{ name: 'test', status: 'completed', conclusion: 'success' }]);
    gh.setStatuses(REPO, gh.pullRequest(REPO, passing!).headSha, [{ context: 'deploy', state: 'success' }]);
    const statuses = await (await scmFor()).pollPullRequests([pending!, passing!, none!].map(prRef));
    expect(statuses.get(String(pending))!.ci.state).toBe('pending');
    expect(statuses.get(String(passing))!.ci.state).toBe('passing');
    expect(statuses.get(String(none))!.ci).toMatchObject({ state: 'none', failing: [] });
  });

  it('reports the review decision and the unresolved thread comments, oldest first', async () => {
    const n = gh.addPullRequest(REPO, { head: 'feat' });
    gh.addReviewThread(REPO, n, { path: 'src/a.ts', line: 3, comments: [{ body: 'rename this', user: 'alice' }, { body: 'and this', user: 'bob' }] });
    gh.addReviewThread(REPO, n, { path: 'src/b.ts', line: 9, comments: [{ body: 'fixed already', user: 'alice' }], resolved: true });
    gh.addReview(REPO, n, { state: 'CHANGES_REQUESTED', user: 'alice' });
    const scm = await scmFor();
    let review = (await scm.pollPullRequests([prRef(n)])).get(String(n))!.review;
    expect(review).toEqual({
      decision: 'changes_requested',
      comments: [
        { author: 'alice', body: 'rename this', path: 'src/a.ts', line: 3 },
        { author: 'bob', body: 'and this', path: 'src/a.ts', line: 3 },
      ],
    });
    gh.addReview(REPO, n, { state: 'APPROVED', user: 'alice' });
    review = (await scm.pollPullRequests([prRef(n)])).get(String(n))!.review;
    expect(review.decision).toBe('approved');
    gh.updatePullRequest(REPO, n, { reviewDecision: 'REVIEW_REQUIRED' });
    expect((await scm.pollPullRequests([prRef(n)])).get(String(n))!.review.decision).toBe('pending');
  });

  it('sees a PR closed or force-pushed behind our back, and conflicts', async () => {
    const a = gh.addPullRequest(REPO, { head: 'a' });
    const b = gh.addPullRequest(REPO, { head: 'b' });
    const c = gh.addPullRequest(REPO, { head: 'c', mergeable: null });
    const scm = await scmFor();
    gh.updatePullRequest(REPO, a, { state: 'closed' });
    gh.updatePullRequest(REPO, b, { headSha: 'b'.repeat(40), mergeable: false });
    const statuses = await scm.pollPullRequests([a, b, c].map(prRef));
    expect(statuses.get(String(a))!.pr.state).toBe('closed');
    expect(statuses.get(String(b))!.pr.headSha).toBe('b'.repeat(40));
    expect(statuses.get(String(b))!.mergeability).toEqual({ mergeable: false, conflicts: true });
    expect(statuses.get(String(c))!.mergeability).toEqual({ mergeable: 'unknown', conflicts: false });
  });

  it('retries a 5xx GraphQL answer; if GitHub keeps failing, throws an AoError the lifecycle can log', async () => {
    const n = gh.addPullRequest(REPO, { head: 'feat' });
    const clock = instantClock();
    const scm = await scmFor({}, clock);
    gh.failNext({ status: 502, pathPrefix: '/graphql' });
    expect((await scm.pollPullRequests([prRef(n)])).size).toBe(1);
    gh.failNext({ status: 500, pathPrefix: '/graphql', times: 10 });
    const error = await rejection(scm.pollPullRequests([prRef(n)]));
    expect(error.code).toBe('GITHUB_FAILED');
    expect(scm.client.health()).toBe('degraded');
    expect(clock.slept).toEqual([1000, 1000, 2000, 4000]);
  });

  it('honours Retry-After on a secondary limit during a poll', async () => {
    const n = gh.addPullRequest(REPO, { head: 'feat' });
    const clock = instantClock();
    const scm = await scmFor({}, clock);
    gh.failNext({ status: 403, secondary: true, retryAfter: 30, pathPrefix: '/graphql' });
    expect((await scm.pollPullRequests([prRef(n)])).size).toBe(1);
    expect(clock.slept).toEqual([30_000]);
  });
});

describe('opening and merging', () => {
  it('opens a PR once per branch and finds it by branch', async () => {
    const scm = await scmFor();
    const input = { project: 'app', branch: 'ao/app-1', baseBranch: 'main', title: 'Fix login', body: 'Closes #4', workspacePath: '/unused' };
    const pr = await scm.openPullRequest(input);
    expect(pr).toMatchObject({ title: 'Fix login', branch: 'ao/app-1', baseBranch: 'main', state: 'open' });
    expect(gh.pullRequest(REPO, Number(pr.id)).body).toBe('Closes #4');
    expect((await scm.openPullRequest(input)).id).toBe(pr.id);
    expect(await scm.findPullRequest({ project: 'app', branch: 'ao/app-1' })).toMatchObject({ id: pr.id });
    expect(await scm.findPullRequest({ project: 'app', branch: 'other' })).toBeNull();
  });

  it('merges with the configured method, or the one asked for', async () => {
    const a = gh.addPullRequest(REPO, { head: 'a' });
    const b = gh.addPullRequest(REPO, { head: 'b' });
    const c = gh.addPullRequest(REPO, { head: 'c' });
    await (await scmFor()).merge(prRef(a));
    await (await scmFor({ mergeMethod: 'rebase' })).merge(prRef(b));
    await (await scmFor({ mergeMethod: 'rebase' })).merge(prRef(c), { method: 'merge' });
    expect([a, b, c].map((n) => gh.pullRequest(REPO, n).mergeMethod)).toEqual(['squash', 'rebase', 'merge']);
    // Merging a merged PR again is not an error.
    await (await scmFor()).merge(prRef(a));
  });

  it('turns a conflict into MERGE_CONFLICT, a draft into PR_STATE, and a force-push since the poll into PR_STATE', async () => {
    const scm = await scmFor();
    const conflicting = gh.addPullRequest(REPO, { head: 'a', mergeable: false });
    expect((await rejection(scm.merge(prRef(conflicting)))).code).toBe('MERGE_CONFLICT');

    const draft = gh.addPullRequest(REPO, { head: 'b', draft: true });
    const refused = await rejection(scm.merge(prRef(draft)));
    expect(refused.code).toBe('PR_STATE');
    expect(refused.message).toMatch(/refused to merge.*squash/);

    const moved = gh.addPullRequest(REPO, { head: 'c' });
    const seen = prRef(moved);
    gh.updatePullRequest(REPO, moved, { headSha: 'c'.repeat(40) });
    const stale = await rejection(scm.merge(seen));
    expect(stale.code).toBe('PR_STATE');
    expect(stale.message).toMatch(/force-push/);
    expect(gh.pullRequest(REPO, moved).state).toBe('open');
  });
});
