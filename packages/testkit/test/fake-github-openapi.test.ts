// The fake's REST answers, checked against GitHub's published OpenAPI description (@octokit/openapi):
// every route the fake serves, with the statuses ao handles, must fit GitHub's response schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../src/fake-github.js';
import { checkGitHubRequests, checkGitHubResponse } from '../src/github-openapi.js';

let gh: FakeGitHub;
beforeAll(async () => {
  gh = await startFakeGitHub();
  gh.addRepo('acme/app');
  gh.addIssue('acme/app', { title: 'an issue', labels: ['bug'], assignees: ['alice'], milestone: 'v1' });
  const pr = gh.addPullRequest('acme/app', { head: 'ao/feat', title: 'feat' });
  const sha = gh.pullRequest('acme/app', pr).headSha;
  gh.setCheckRuns('acme/app', sha, [{ id: 77, name: 'test', status: 'completed', conclusion: 'failure', log: 'boom' }]);
  gh.setStatuses('acme/app', sha, [{ context: 'ci', state: 'success', target_url: 'https://ci.example/1' }]);
  gh.addReview('acme/app', pr, { state: 'CHANGES_REQUESTED', body: 'fix it' });
  gh.addReviewThread('acme/app', pr, { path: 'a.ts', line: 3, comments: [{ body: 'here' }, { body: 'reply' }] });
});
afterAll(async () => {
  await gh.close();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${gh.url}${path}`, {
    method,
    redirect: 'manual',
    headers: { authorization: `token ${gh.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined };
}

describe('the fake GitHub against GitHub\'s OpenAPI description', () => {
  const cases: [string, string, unknown?][] = [
    ['GET', '/user'],
    ['GET', '/rate_limit'],
    ['GET', '/repos/acme/app'],
    ['GET', '/repos/acme/app/issues?state=all&per_page=10'],
    ['GET', '/repos/acme/app/issues/1'],
    ['POST', '/repos/acme/app/issues', { title: 'new', body: 'text', labels: ['ao'] }],
    ['PATCH', '/repos/acme/app/issues/1', { state: 'closed', state_reason: 'completed' }],
    ['POST', '/repos/acme/app/issues/1/comments', { body: 'a comment' }],
    ['GET', '/repos/acme/app/issues/1/comments'],
    ['POST', '/repos/acme/app/issues/1/assignees', { assignees: ['bob'] }],
    ['DELETE', '/repos/acme/app/issues/1/assignees', { assignees: ['bob'] }],
    ['POST', '/repos/acme/app/issues/1/labels', { labels: ['p1'] }],
    ['DELETE', '/repos/acme/app/issues/1/labels/p1'],
    ['GET', '/repos/acme/app/pulls?state=all&head=acme:ao/feat'],
    ['GET', '/repos/acme/app/pulls/2'],
    ['POST', '/repos/acme/app/pulls', { head: 'ao/other', base: 'main', title: 'other' }],
    ['POST', '/repos/acme/app/pulls', { head: 'ao/other', base: 'main', title: 'again' }],
    ['PATCH', '/repos/acme/app/pulls/2', { title: 'feat!' }],
    ['GET', '/repos/acme/app/pulls/2/reviews'],
    ['GET', '/repos/acme/app/pulls/2/comments'],
    ['GET', '/repos/acme/app/commits/ao%2Ffeat/check-runs'],
    ['GET', '/repos/acme/app/commits/ao%2Ffeat/status'],
    ['GET', '/repos/acme/app/actions/jobs/77/logs'],
    ['PUT', '/repos/acme/app/pulls/2/merge', { merge_method: 'squash', sha: '0'.repeat(40) }],
    ['PUT', '/repos/acme/app/pulls/2/merge', { merge_method: 'squash' }],
    ['PUT', '/repos/acme/app/pulls/2/merge', { merge_method: 'squash' }],
    ['GET', '/repos/acme/app/issues/999'],
  ];

  it('answers every route it serves in the documented status and shape', async () => {
    const problems: string[] = [];
    const statuses: number[] = [];
    for (const [method, path, body] of cases) {
      const { status, json } = await call(method, path, body);
      statuses.push(status);
      problems.push(...(await checkGitHubResponse(method, path.replace(/\?.*$/, ''), status, json)));
    }
    expect(problems).toEqual([]);
    // The failure answers are covered too: 422 duplicate PR, 409 stale sha, 405 already merged, 404.
    expect(statuses).toEqual(expect.arrayContaining([302, 404, 405, 409, 422]));
  }, 60_000);

  it('takes only documented requests (and would flag an undocumented parameter or body)', async () => {
    expect(await checkGitHubRequests(gh.requests.filter((r) => r.status < 500))).toEqual([]);
    expect(
      await checkGitHubRequests([
        { method: 'GET', path: '/repos/acme/app/issues', query: { colour: 'red' }, body: undefined },
        { method: 'POST', path: '/repos/acme/app/issues', query: {}, body: { body: 'no title' } },
        { method: 'GET', path: '/repos/acme/app/frobnicate', query: {}, body: undefined },
        { method: 'POST', path: '/graphql', query: {}, body: { query: 'query { viewer { checks } }' } },
      ]),
    ).toEqual([
      expect.stringContaining('unknown query parameter "colour"'),
      expect.stringContaining("must have required property 'title'"),
      expect.stringContaining('GitHub documents no such operation'),
      expect.stringContaining('Cannot query field "checks" on type "User"'),
    ]);
  }, 60_000);
});
