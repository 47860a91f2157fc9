import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../src/fake-github.js';

interface Call {
  status: number;
  headers: Headers;
  json: any;
  text: string;
}

describe('fake GitHub', () => {
  let gh: FakeGitHub;

  async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Call> {
    const response = await fetch(`${gh.url}${path}`, {
      method,
      headers: { authorization: `token ${gh.token}`, accept: 'application/vnd.github+json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json, text };
  }

  beforeEach(async () => {
    gh = await startFakeGitHub({ scopes: ['repo', 'read:org'] });
    gh.addRepo('acme/app');
  });
  afterEach(async () => {
    await gh.close();
  });

  it('rejects missing or wrong tokens with 401 and accepts token and Bearer schemes', async () => {
    const none = await fetch(`${gh.url}/user`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ message: 'Bad credentials' });
    expect((await api('GET', '/user', undefined, { authorization: 'token nope' })).status).toBe(401);
    const bearer = await api('GET', '/user', undefined, { authorization: `Bearer ${gh.token}` });
    expect(bearer.status).toBe(200);
    expect(bearer.json.login).toBe('ao-test-user');
    expect(bearer.headers.get('x-oauth-scopes')).toBe('repo, read:org');
    expect((await api('GET', '/repos/acme/app')).json).toMatchObject({ full_name: 'acme/app', default_branch: 'main', private: false });
    expect((await api('GET', '/repos/acme/nope')).json).toMatchObject({ message: 'Not Found' });
  });

  it('counts requests in the rate-limit headers, answers 304 to a matching ETag for free', async () => {
    gh.addIssue('acme/app', { title: 'one' });
    const first = await api('GET', '/repos/acme/app/issues/1');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('5000');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('4999');
    expect(first.headers.get('x-ratelimit-used')).toBe('1');
    expect(first.headers.get('x-ratelimit-resource')).toBe('core');
    expect(Number(first.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"[0-9a-f]+"$/);

    const cached = await api('GET', '/repos/acme/app/issues/1', undefined, { 'if-none-match': etag });
    expect(cached.status).toBe(304);
    expect(cached.text).toBe('');
    expect(cached.headers.get('x-ratelimit-remaining')).toBe('4999');

    // A change makes the old ETag stale: full answer, new tag, costs again.
    await api('PATCH', '/repos/acme/app/issues/1', { title: 'renamed' });
    const fresh = await api('GET', '/repos/acme/app/issues/1', undefined, { 'if-none-match': etag });
    expect(fresh.status).toBe(200);
    expect(fresh.json.title).toBe('renamed');
    expect(fresh.headers.get('etag')).not.toBe(etag);
    expect(fresh.headers.get('x-ratelimit-remaining')).toBe('4997');
    expect(gh.requests.map((r) => r.status)).toEqual([200, 304, 200, 200]);
  });

  it('paginates lists with a Link header', async () => {
    for (let i = 1; i <= 5; i++) gh.addIssue('acme/app', { title: `issue ${i}` });
    const page1 = await api('GET', '/repos/acme/app/issues?per_page=2');
    expect(page1.json.map((i: { number: number }) => i.number)).toEqual([5, 4]);
    const link = page1.headers.get('link')!;
    expect(link).toContain(`<${gh.url}/repos/acme/app/issues?per_page=2&page=2>; rel="next"`);
    expect(link).toContain('page=3>; rel="last"');
    const next = /<([^>]+)>; rel="next"/.exec(link)![1]!;
    const page2 = await api('GET', next.slice(gh.url.length));
    expect(page2.json.map((i: { number: number }) => i.number)).toEqual([3, 2]);
    expect(page2.headers.get('link')).toContain('rel="prev"');
    const page3 = await api('GET', '/repos/acme/app/issues?per_page=2&page=3');
    expect(page3.json.map((i: { number: number }) => i.number)).toEqual([1]);
    expect(page3.headers.get('link')).not.toContain('rel="next"');
  });

  it('creates, lists (PRs included, like GitHub), filters, patches, comments on and assigns issues', async () => {
    gh.addIssue('acme/app', { title: 'bug', labels: ['bug', 'ao'], assignees: ['alice'], milestone: 'v1' });
    gh.addPullRequest('acme/app', { head: 'feat', title: 'a PR' });
    const created = await api('POST', '/repos/acme/app/issues', { title: 'new', body: 'details', labels: ['ao'] });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ number: 3, title: 'new', body: 'details', state: 'open', labels: [{ name: 'ao' }], assignees: [], milestone: null, html_url: 'https://github.com/acme/app/issues/3' });
    expect((await api('POST', '/repos/acme/app/issues', { body: 'no title' })).status).toBe(422);

    const all = await api('GET', '/repos/acme/app/issues');
    expect(all.json.map((i: { number: number }) => i.number)).toEqual([3, 2, 1]);
    expect(all.json[1].pull_request).toMatchObject({ html_url: 'https://github.com/acme/app/pull/2', merged_at: null });
    expect('pull_request' in all.json[0]).toBe(false);
    expect(all.json[2]).toMatchObject({ labels: [{ name: 'bug' }, { name: 'ao' }], assignees: [{ login: 'alice' }], milestone: { title: 'v1', number: 1 } });

    const byLabels = await api('GET', '/repos/acme/app/issues?labels=ao,bug');
    expect(byLabels.json.map((i: { number: number }) => i.number)).toEqual([1]);
    expect((await api('GET', '/repos/acme/app/issues?assignee=alice')).json).toHaveLength(1);
    expect((await api('GET', '/repos/acme/app/issues?milestone=1')).json).toHaveLength(1);
    expect((await api('GET', '/repos/acme/app/issues?milestone=none')).json).toHaveLength(2);

    const patched = await api('PATCH', '/repos/acme/app/issues/1', { state: 'closed', labels: ['done'] });
    expect(patched.json).toMatchObject({ state: 'closed', state_reason: 'completed', labels: [{ name: 'done' }] });
    expect(patched.json.closed_at).toEqual(expect.any(String));
    expect((await api('GET', '/repos/acme/app/issues')).json).toHaveLength(2);
    expect((await api('GET', '/repos/acme/app/issues?state=closed')).json.map((i: { number: number }) => i.number)).toEqual([1]);

    const comment = await api('POST', '/repos/acme/app/issues/3/comments', { body: 'ao picked this up' });
    expect(comment.status).toBe(201);
    expect(comment.json).toMatchObject({ body: 'ao picked this up', user: { login: 'ao-test-user' } });
    const assigned = await api('POST', '/repos/acme/app/issues/3/assignees', { assignees: ['ao-bot'] });
    expect(assigned.status).toBe(201);
    expect(assigned.json.assignees).toEqual([expect.objectContaining({ login: 'ao-bot' })]);
    expect(gh.issue('acme/app', 3)).toMatchObject({ assignees: ['ao-bot'], comments: [{ body: 'ao picked this up' }] });
    expect(gh.issue('acme/app', 1)).toMatchObject({ state: 'closed', labels: ['done'] });
    expect((await api('GET', '/repos/acme/app/issues/99')).status).toBe(404);
  });

  it('creates PRs (422 for a duplicate head), gets, lists by head and merges them', async () => {
    const created = await api('POST', '/repos/acme/app/pulls', { title: 'Add x', head: 'ao/feat-1', base: 'main', body: 'Closes #1', draft: false });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      number: 1,
      state: 'open',
      merged: false,
      draft: false,
      title: 'Add x',
      body: 'Closes #1',
      html_url: 'https://github.com/acme/app/pull/1',
      head: { ref: 'ao/feat-1', label: 'acme:ao/feat-1' },
      base: { ref: 'main' },
      mergeable: true,
      mergeable_state: 'clean',
    });
    const sha = created.json.head.sha as string;
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    const duplicate = await api('POST', '/repos/acme/app/pulls', { title: 'again', head: 'acme:ao/feat-1', base: 'main' });
    expect(duplicate.status).toBe(422);
    expect(duplicate.json.errors[0].message).toBe('A pull request already exists for acme:ao/feat-1.');

    gh.addPullRequest('acme/app', { number: 5, head: 'other', mergeable: false });
    const listed = await api('GET', '/repos/acme/app/pulls?head=acme:ao/feat-1&state=open');
    expect(listed.json.map((p: { number: number }) => p.number)).toEqual([1]);
    expect(listed.json[0].merged_at).toBeNull();
    expect((await api('GET', '/repos/acme/app/pulls?head=acme:missing')).json).toEqual([]);
    expect((await api('GET', '/repos/acme/app/pulls/5')).json).toMatchObject({ mergeable: false, mergeable_state: 'dirty' });
    expect((await api('GET', '/repos/acme/app/pulls/99')).status).toBe(404);

    const refused = await api('PUT', '/repos/acme/app/pulls/5/merge', { merge_method: 'squash' });
    expect(refused.status).toBe(405);
    expect(refused.json.message).toBe('Pull Request is not mergeable');
    const stale = await api('PUT', '/repos/acme/app/pulls/1/merge', { merge_method: 'squash', sha: 'f'.repeat(40) });
    expect(stale.status).toBe(409);

    const merged = await api('PUT', '/repos/acme/app/pulls/1/merge', { merge_method: 'squash', sha });
    expect(merged.status).toBe(200);
    expect(merged.json).toMatchObject({ merged: true, message: 'Pull Request successfully merged' });
    expect(gh.pullRequest('acme/app', 1)).toMatchObject({ state: 'merged', merged: true, mergeMethod: 'squash' });
    const after = await api('GET', '/repos/acme/app/pulls/1');
    expect(after.json).toMatchObject({ state: 'closed', merged: true });
    expect(after.json.merged_at).toEqual(expect.any(String));
    expect((await api('PUT', '/repos/acme/app/pulls/1/merge', {})).status).toBe(405);
    // The head is free again: a new PR for it may be opened.
    expect((await api('POST', '/repos/acme/app/pulls', { title: 'again', head: 'ao/feat-1', base: 'main' })).status).toBe(201);
  });

  it('serves reviews and review comments of a PR', async () => {
    const n = gh.addPullRequest('acme/app', { head: 'feat' });
    gh.addReview('acme/app', n, { state: 'CHANGES_REQUESTED', body: 'please fix', user: 'bob' });
    gh.addReviewThread('acme/app', n, { path: 'src/a.ts', line: 12, comments: [{ body: 'typo', user: 'bob' }, { body: 'fixed', user: 'ao-bot' }] });
    const reviews = await api('GET', `/repos/acme/app/pulls/${n}/reviews`);
    expect(reviews.json).toEqual([
      expect.objectContaining({ id: expect.any(Number), user: expect.objectContaining({ login: 'bob' }), state: 'CHANGES_REQUESTED', body: 'please fix', submitted_at: expect.any(String), commit_id: gh.pullRequest('acme/app', n).headSha }),
    ]);
    const comments = await api('GET', `/repos/acme/app/pulls/${n}/comments`);
    expect(comments.json).toEqual([
      expect.objectContaining({ user: expect.objectContaining({ login: 'bob' }), body: 'typo', path: 'src/a.ts', line: 12 }),
      expect.objectContaining({ user: expect.objectContaining({ login: 'ao-bot' }), body: 'fixed', in_reply_to_id: comments.json[0].id }),
    ]);
    expect((await api('GET', `/repos/acme/app/pulls/${n}`)).json.mergeable_state).toBe('blocked');
  });

  it('serves check runs, combined statuses and job logs (through the redirect GitHub uses)', async () => {
    const n = gh.addPullRequest('acme/app', { head: 'feat', headSha: 'a'.repeat(40) });
    gh.setCheckRuns('acme/app', 'a'.repeat(40), [
      { id: 77, name: 'test', status: 'completed', conclusion: 'failure', log: 'FAIL src/a.test.ts\nexpected 1 to be 2\n', output: { title: '1 failed', summary: 'a.test.ts' } },
      { name: 'lint', status: 'in_progress' },
    ]);
    gh.setStatuses('acme/app', 'a'.repeat(40), [
      { context: 'ci/legacy', state: 'success', target_url: 'https://ci.example/1' },
      { context: 'deploy', state: 'pending' },
    ]);
    const runs = await api('GET', `/repos/acme/app/commits/${'a'.repeat(40)}/check-runs`);
    expect(runs.json.total_count).toBe(2);
    expect(runs.json.check_runs[0]).toMatchObject({ id: 77, name: 'test', status: 'completed', conclusion: 'failure', details_url: expect.stringContaining('/job/77'), output: { title: '1 failed', summary: 'a.test.ts' } });
    expect(runs.json.check_runs[1]).toMatchObject({ name: 'lint', status: 'in_progress', conclusion: null });
    // A branch name resolves to the PR's head.
    expect((await api('GET', '/repos/acme/app/commits/feat/check-runs')).json.total_count).toBe(2);
    expect((await api('GET', '/repos/acme/app/commits/nope/check-runs')).status).toBe(422);

    const status = await api('GET', `/repos/acme/app/commits/${'a'.repeat(40)}/status`);
    expect(status.json).toMatchObject({ state: 'pending', total_count: 2, sha: 'a'.repeat(40) });
    expect(status.json.statuses[0]).toMatchObject({ context: 'ci/legacy', state: 'success', target_url: 'https://ci.example/1' });
    gh.setStatuses('acme/app', 'a'.repeat(40), [{ context: 'ci/legacy', state: 'error' }]);
    expect((await api('GET', `/repos/acme/app/commits/${'a'.repeat(40)}/status`)).json.state).toBe('failure');

    const log = await api('GET', '/repos/acme/app/actions/jobs/77/logs');
    expect(log.status).toBe(200);
    expect(log.text).toBe('FAIL src/a.test.ts\nexpected 1 to be 2\n');
    expect(gh.requests.at(-2)).toMatchObject({ path: '/repos/acme/app/actions/jobs/77/logs', status: 302 });
    expect((await api('GET', '/repos/acme/app/actions/jobs/12345/logs')).status).toBe(404);
    expect((await api('GET', `/repos/acme/app/pulls/${n}`)).json.mergeable_state).toBe('unstable');
  });

  it('executes GraphQL against GitHub\'s schema: answers only what was selected, in the real shape; null + NOT_FOUND for missing PRs', async () => {
    gh.addRepo('acme/lib');
    gh.addPullRequest('acme/app', { number: 3, head: 'ao/a', headSha: 'b'.repeat(40), title: 'A', draft: true });
    gh.addPullRequest('acme/app', { number: 4, head: 'ao/b', state: 'merged' });
    gh.addPullRequest('acme/lib', { number: 9, head: 'ao/c', mergeable: false });
    gh.setCheckRuns('acme/app', 'b'.repeat(40), [{ id: 501, name: 'test', status: 'completed', conclusion: 'success' }]);
    gh.setStatuses('acme/app', 'b'.repeat(40), [{ context: 'ci', state: 'failure', target_url: 'https://ci/x' }]);
    gh.addReview('acme/app', 3, { state: 'APPROVED', user: 'carol' });
    gh.addReviewThread('acme/app', 3, { path: 'x.ts', line: 4, comments: [{ body: 'why?', user: 'carol' }], resolved: true });
    const query = `query {
      rateLimit { cost remaining limit resetAt }
      r0: repository(owner: "acme", name: "app") {
        pr3: pullRequest(number: 3) { ...F }
        pr4: pullRequest(number: 4) { number state reviewDecision commits(last: 1) { nodes { commit { statusCheckRollup { state } } } } }
      }
      r1: repository(owner: "acme", name: "lib") {
        pr9: pullRequest(number: 9) { number mergeable }
        pr10: pullRequest(number: 10) { number }
      }
    }
    fragment F on PullRequest {
      number state isDraft title headRefOid mergeable reviewDecision
      latestReviews(first: 10) { nodes { state author { login } } }
      commits(last: 1) { nodes { commit { oid statusCheckRollup { state contexts(first: 100) {
        pageInfo { hasNextPage }
        checkRunCountsByState { state count }
        nodes {
          __typename
          ... on CheckRun { name status conclusion databaseId }
          ... on StatusContext { context state targetUrl }
        }
      } } } } }
      reviewThreads(first: 10) { nodes { isResolved comments(first: 10) { nodes { author { login } body path line } } } }
    }`;
    const result = await api('POST', '/graphql', { query });
    expect(result.status).toBe(200);
    expect(result.headers.get('x-ratelimit-resource')).toBe('graphql');
    const { data, errors } = result.json;
    expect(data.r0.pr3).toEqual({
      number: 3,
      state: 'OPEN',
      isDraft: true,
      title: 'A',
      headRefOid: 'b'.repeat(40),
      mergeable: 'MERGEABLE',
      reviewDecision: 'APPROVED',
      latestReviews: { nodes: [{ state: 'APPROVED', author: { login: 'carol' } }] },
      commits: {
        nodes: [
          {
            commit: {
              oid: 'b'.repeat(40),
              statusCheckRollup: {
                state: 'FAILURE',
                contexts: {
                  pageInfo: { hasNextPage: false },
                  checkRunCountsByState: [{ state: 'SUCCESS', count: 1 }],
                  nodes: [
                    { __typename: 'CheckRun', name: 'test', status: 'COMPLETED', conclusion: 'SUCCESS', databaseId: 501 },
                    { __typename: 'StatusContext', context: 'ci', state: 'FAILURE', targetUrl: 'https://ci/x' },
                  ],
                },
              },
            },
          },
        ],
      },
      reviewThreads: { nodes: [{ isResolved: true, comments: { nodes: [{ author: { login: 'carol' }, body: 'why?', path: 'x.ts', line: 4 }] } }] },
    });
    expect(data.r0.pr4).toEqual({ number: 4, state: 'MERGED', reviewDecision: null, commits: { nodes: [{ commit: { statusCheckRollup: null } }] } });
    expect(data.r1.pr9).toEqual({ number: 9, mergeable: 'CONFLICTING' });
    expect(data.r1.pr10).toBeNull();
    expect(errors).toEqual([expect.objectContaining({ type: 'NOT_FOUND', path: ['r1', 'pr10'], message: 'Could not resolve to a PullRequest with the number of 10.' })]);
    // GitHub's formula: latestReviews 1 + commits 1 + contexts 1 + reviewThreads 1 + comments 10 (pr3), commits 1 (pr4) = 15 requests: 1 point.
    expect(data.rateLimit).toEqual({ cost: 1, remaining: 4999, limit: 5000, resetAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(gh.requests.at(-1)).toMatchObject({ method: 'POST', path: '/graphql', status: 200, graphqlAliases: 4, graphqlCost: 1 });

    const unknownRepo = await api('POST', '/graphql', { query: 'query { r0: repository(owner: "acme", name: "gone") { pr1: pullRequest(number: 1) { number } } }' });
    expect(unknownRepo.json.data.r0).toBeNull();
    expect(unknownRepo.json.errors[0]).toMatchObject({ type: 'NOT_FOUND', path: ['r0'] });
    expect('rateLimit' in unknownRepo.json.data).toBe(false);
  });

  it('refuses what GitHub refuses: unknown fields, syntax errors, missing or excessive page sizes, over 500,000 nodes', async () => {
    gh.addPullRequest('acme/app', { number: 1, head: 'ao/a' });
    const ask = async (query: string) => (await api('POST', '/graphql', { query })).json;
    const before = gh.getRateLimit('graphql').remaining;

    const unknownField = await ask('query { repository(owner: "acme", name: "app") { pullRequest(number: 1) { checks { nodes { name } } } } }');
    expect(unknownField.data).toBeUndefined();
    expect(unknownField.errors[0].message).toMatch(/Cannot query field "checks" on type "PullRequest"/);
    expect((await ask('query { repository(owner: "acme" name: "app") {')).errors[0].message).toMatch(/^Parse error/);
    expect((await ask('query { repository(owner: "acme", name: "app") { pullRequest(number: "1") { number } } }')).errors[0].message).toMatch(/Int/);

    const unbounded = await ask('query { repository(owner: "acme", name: "app") { pullRequest(number: 1) { reviewThreads { nodes { isResolved } } } } }');
    expect(unbounded.errors[0]).toMatchObject({ type: 'MISSING_PAGINATION_BOUNDARIES', message: expect.stringContaining('`reviewThreads` connection') });
    // Counting only needs no page size, as on GitHub.
    expect((await ask('query { repository(owner: "acme", name: "app") { pullRequest(number: 1) { reviewThreads { totalCount } } } }')).data.repository.pullRequest).toEqual({
      reviewThreads: { totalCount: 0 },
    });
    const excessive = await ask('query { repository(owner: "acme", name: "app") { pullRequests(first: 101) { nodes { number } } } }');
    expect(excessive.errors[0]).toMatchObject({ type: 'EXCESSIVE_PAGINATION' });
    const huge = await ask(
      'query { repository(owner: "acme", name: "app") { pullRequests(first: 100) { nodes { reviewThreads(first: 100) { nodes { comments(first: 100) { nodes { body } } } } } } } }',
    );
    expect(huge.errors[0]).toMatchObject({ type: 'MAX_NODE_LIMIT_EXCEEDED', message: expect.stringContaining('1,010,100 possible nodes') });
    expect(gh.getRateLimit('graphql').remaining).toBe(before - 1);
  });

  it('charges points by GitHub\'s formula: the sum of connection requests over 100, rounded, at least 1', async () => {
    for (let i = 1; i <= 3; i++) gh.addPullRequest('acme/app', { number: i, head: `ao/${i}` });
    const cost = async (query: string): Promise<number> => {
      const { json } = await api('POST', '/graphql', { query: `query { rateLimit { cost nodeCount } ${query} }` });
      return json.data.rateLimit.cost;
    };
    // 1 (pullRequests) + 100 (reviewThreads, once per PR) + 100 × 50 (comments, once per thread) = 5,101 requests: 51 points.
    expect(await cost('repository(owner: "acme", name: "app") { pullRequests(first: 100) { nodes { reviewThreads(first: 50) { nodes { comments(first: 30) { nodes { body } } } } } } }')).toBe(51);
    // The query the issue measured: reviewThreads(first: 100) { comments(first: 30) } per PR, 50 PRs: about 52 points.
    const old = Array.from({ length: 50 }, (_, i) => `p${i}: pullRequest(number: ${(i % 3) + 1}) { latestReviews(first: 20) { nodes { state } } commits(last: 1) { nodes { commit { statusCheckRollup { contexts(first: 100) { nodes { __typename } } } } } } reviewThreads(first: 100) { nodes { comments(first: 30) { nodes { body } } } } }`);
    expect(await cost(`repository(owner: "acme", name: "app") { ${old.join(' ')} }`)).toBe(52);
    expect(await cost('repository(owner: "acme", name: "app") { pullRequest(number: 1) { number } }')).toBe(1);
    expect(gh.requests.at(-1)!.graphqlCost).toBe(1);
  });

  it('fails the next requests as scripted: 502 then OK, secondary limit 403 with retry-after, by path prefix', async () => {
    gh.failNext({ status: 502, times: 2 });
    expect((await api('GET', '/user')).status).toBe(502);
    expect((await api('GET', '/user')).status).toBe(502);
    expect((await api('GET', '/user')).status).toBe(200);

    gh.failNext({ status: 403, secondary: true, retryAfter: 2 });
    const limited = await api('GET', '/user');
    expect(limited.status).toBe(403);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.json.message).toMatch(/secondary rate limit/);
    expect(Number(limited.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0);

    gh.failNext({ status: 500, pathPrefix: '/graphql' });
    expect((await api('GET', '/user')).status).toBe(200);
    expect((await api('POST', '/graphql', { query: 'query { rateLimit { cost } }' })).status).toBe(500);
    expect((await api('POST', '/graphql', { query: 'query { rateLimit { cost } }' })).status).toBe(200);
  });

  it('answers 403 once the primary limit is used up, and refills after the reset time', async () => {
    gh.setRateLimit({ remaining: 2 });
    expect((await api('GET', '/user')).headers.get('x-ratelimit-remaining')).toBe('1');
    expect((await api('GET', '/user')).headers.get('x-ratelimit-remaining')).toBe('0');
    const exhausted = await api('GET', '/user');
    expect(exhausted.status).toBe(403);
    expect(exhausted.json.message).toMatch(/^API rate limit exceeded/);
    expect(exhausted.headers.get('x-ratelimit-remaining')).toBe('0');
    // GraphQL has its own budget, in points.
    expect((await api('POST', '/graphql', { query: 'query { rateLimit { cost } }' })).status).toBe(200);
    gh.setRateLimit({ resource: 'graphql', remaining: 0 });
    expect((await api('POST', '/graphql', { query: 'query { rateLimit { cost } }' })).status).toBe(403);
    // /rate_limit itself is free, as on GitHub.
    expect((await api('GET', '/rate_limit')).json.resources.core).toMatchObject({ limit: 5000, remaining: 0 });

    gh.setRateLimit({ resetAt: Math.floor(Date.now() / 1000) - 1 });
    const refilled = await api('GET', '/user');
    expect(refilled.status).toBe(200);
    expect(refilled.headers.get('x-ratelimit-remaining')).toBe('4999');
  });

  it('records method, path, query, headers, body and status of every request, and resets the log', async () => {
    await api('POST', '/repos/acme/app/issues', { title: 't' });
    await api('GET', '/repos/acme/app/issues?state=all&labels=a,b');
    await api('GET', '/nope');
    expect(gh.requests).toEqual([
      expect.objectContaining({ method: 'POST', path: '/repos/acme/app/issues', query: {}, body: { title: 't' }, status: 201 }),
      expect.objectContaining({ method: 'GET', path: '/repos/acme/app/issues', query: { state: 'all', labels: 'a,b' }, body: undefined, status: 200 }),
      expect.objectContaining({ method: 'GET', path: '/nope', status: 404 }),
    ]);
    expect(gh.requests[0]!.headers.authorization).toBe(`token ${gh.token}`);
    const log = gh.requests;
    gh.resetRequests();
    expect(log).toHaveLength(0);
    await api('GET', '/user');
    expect(gh.requests).toHaveLength(1);
  });

  it('lets a test change a PR behind the client: force-push, close', async () => {
    const n = gh.addPullRequest('acme/app', { head: 'feat' });
    gh.updatePullRequest('acme/app', n, { headSha: 'c'.repeat(40) });
    expect((await api('GET', `/repos/acme/app/pulls/${n}`)).json.head.sha).toBe('c'.repeat(40));
    gh.updatePullRequest('acme/app', n, { state: 'closed' });
    expect((await api('GET', `/repos/acme/app/pulls/${n}`)).json).toMatchObject({ state: 'closed', merged: false });
    expect((await api('GET', '/repos/acme/app/pulls')).json).toEqual([]);
    expect((await api('GET', '/repos/acme/app/pulls?state=closed')).json).toHaveLength(1);
    expect(() => gh.pullRequest('acme/app', 42)).toThrow(/no issue or PR/);
  });
});
