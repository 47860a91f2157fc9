import { describe, expect, it } from 'vitest';
import {
  buildPullRequestsQuery,
  chunkRefs,
  paceDelay,
  parsePullRequestNode,
  parsePullRequestsResponse,
  parseRepo,
  rateLimitFromHeaders,
  repoFromRemoteUrl,
  RepoSchema,
  retryDecision,
} from '../src/index.js';

describe('repository names', () => {
  it('accepts owner/name and rejects anything else', () => {
    expect(parseRepo('octo-cat/hello.world_2')).toEqual({ owner: 'octo-cat', name: 'hello.world_2', fullName: 'octo-cat/hello.world_2' });
    for (const bad of ['octocat', 'a/b/c', '/x', 'a/', '-a/b', 'a/..', 'a b/c', 'a/"x"']) {
      expect(() => parseRepo(bad), bad).toThrow(/owner\/name/);
      expect(RepoSchema.safeParse(bad).success, bad).toBe(false);
    }
  });

  it('reads owner/name from GitHub remote URLs only', () => {
    expect(repoFromRemoteUrl('git@github.com:acme/app.git')).toBe('acme/app');
    expect(repoFromRemoteUrl('https://github.com/acme/app')).toBe('acme/app');
    expect(repoFromRemoteUrl('https://user@github.com/acme/app.git/')).toBe('acme/app');
    expect(repoFromRemoteUrl('ssh://git@github.com/acme/app.git')).toBe('acme/app');
    expect(repoFromRemoteUrl('https://gitlab.com/acme/app.git')).toBeUndefined();
    expect(repoFromRemoteUrl('https://github.com.evil.com/acme/app')).toBeUndefined();
  });
});

describe('rate limits and retries', () => {
  const now = 1_700_000_000_000;
  const headers = (remaining: number, resetInS: number, limit = 5000) => ({
    'x-ratelimit-limit': String(limit),
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-reset': String(now / 1000 + resetInS),
  });

  it('reads the headers', () => {
    expect(rateLimitFromHeaders(headers(42, 60))).toEqual({ limit: 5000, remaining: 42, resetAt: now + 60_000 });
    expect(rateLimitFromHeaders({})).toBeUndefined();
  });

  it('paces only when the budget runs low, spreading what is left until the reset', () => {
    expect(paceDelay(rateLimitFromHeaders(headers(4000, 600)), now)).toBe(0);
    expect(paceDelay(rateLimitFromHeaders(headers(50, 100)), now)).toBe(2000);
    expect(paceDelay(rateLimitFromHeaders(headers(0, 100)), now)).toBe(101_000);
    expect(paceDelay(rateLimitFromHeaders(headers(5, 3600)), now)).toBe(60_000);
    // A small limit (60/h unauthenticated) pages at 10 %, not at 100.
    expect(paceDelay(rateLimitFromHeaders(headers(10, 100, 60)), now)).toBe(0);
  });

  it('retries 5xx and network errors with exponential backoff, a bounded number of times', () => {
    const fail = { status: 502, headers: {}, message: 'Bad Gateway' };
    expect([0, 1, 2].map((a) => retryDecision(fail, a, now))).toEqual([1000, 2000, 4000].map((delayMs) => ({ retry: true, delayMs, reason: 'server-error' })));
    expect(retryDecision(fail, 3, now)).toEqual({ retry: false });
    expect(retryDecision({ status: undefined, headers: {}, message: 'ECONNREFUSED' }, 0, now)).toMatchObject({ retry: true, reason: 'network' });
  });

  it('honours retry-after on secondary limits and waits for the reset on the primary one', () => {
    expect(retryDecision({ status: 403, headers: { 'retry-after': '7' }, message: 'You have exceeded a secondary rate limit' }, 0, now)).toEqual({
      retry: true,
      delayMs: 7000,
      reason: 'secondary-limit',
    });
    expect(retryDecision({ status: 403, headers: {}, message: 'You have exceeded a secondary rate limit' }, 0, now)).toMatchObject({ delayMs: 60_000 });
    expect(retryDecision({ status: 403, headers: headers(0, 30), message: 'API rate limit exceeded' }, 0, now)).toEqual({ retry: true, delayMs: 31_000, reason: 'rate-limit' });
    // A permission 403 and a 404 are answers, not hiccups.
    expect(retryDecision({ status: 403, headers: headers(10, 30), message: 'Resource not accessible by integration' }, 0, now)).toEqual({ retry: false });
    expect(retryDecision({ status: 404, headers: {}, message: 'Not Found' }, 0, now)).toEqual({ retry: false });
  });
});

describe('the batched pull request query', () => {
  it('aliases repositories r<i> and PRs pr<N>, once each', () => {
    const { query, repos } = buildPullRequestsQuery([
      { repo: 'a/one', number: 3 },
      { repo: 'b/two', number: 9 },
      { repo: 'a/one', number: 4 },
      { repo: 'a/one', number: 3 },
    ]);
    expect(repos).toEqual(['a/one', 'b/two']);
    expect(query).toContain('r0: repository(owner: "a", name: "one")');
    expect(query).toContain('r1: repository(owner: "b", name: "two")');
    expect(query.match(/pr\d+: pullRequest\(number: \d+\)/g)).toEqual(['pr3: pullRequest(number: 3)', 'pr4: pullRequest(number: 4)', 'pr9: pullRequest(number: 9)']);
  });

  it('splits into batches of 50, deduplicated, repositories kept together', () => {
    const refs = Array.from({ length: 120 }, (_, i) => ({ repo: i % 2 ? 'a/x' : 'b/y', number: i + 1 }));
    const chunks = chunkRefs([...refs, ...refs]);
    expect(chunks.map((c) => c.length)).toEqual([50, 50, 20]);
    expect(chunks[0]!.every((r) => r.repo === 'a/x')).toBe(true);
  });

  it("parses GitHub's nesting: rollup contexts, latest reviews, unresolved threads", () => {
    const data = parsePullRequestNode('a/x', {
      number: 5,
      state: 'OPEN',
      isDraft: false,
      url: 'https://github.com/a/x/pull/5',
      title: 'T',
      headRefName: 'feat',
      headRefOid: 'abc',
      baseRefName: 'main',
      mergeable: 'CONFLICTING',
      reviewDecision: null,
      latestReviews: { nodes: [{ state: 'APPROVED', author: { login: 'bo' } }] },
      commits: {
        nodes: [
          {
            commit: {
              oid: 'abc',
              statusCheckRollup: {
                state: 'FAILURE',
                contexts: {
                  nodes: [
                    { __typename: 'CheckRun', name: 'test', status: 'COMPLETED', conclusion: 'FAILURE', databaseId: 77 },
                    { __typename: 'StatusContext', context: 'ci/legacy', state: 'SUCCESS', targetUrl: 'http://x' },
                  ],
                },
              },
            },
          },
        ],
      },
      reviewThreads: {
        nodes: [
          { isResolved: true, comments: { nodes: [{ author: { login: 'bo' }, body: 'done', path: 'a.ts', line: 1 }] } },
          { isResolved: false, comments: { nodes: [{ author: null, body: 'fix this', path: 'b.ts', line: 2 }] } },
        ],
      },
    });
    expect(data).toMatchObject({ state: 'open', mergeable: 'conflicting', reviewDecision: 'approved', checkRollup: 'failure', headSha: 'abc' });
    expect(data.checks).toEqual([
      { kind: 'check-run', name: 'test', status: 'completed', conclusion: 'failure', jobId: 77 },
      { kind: 'status', name: 'ci/legacy', status: 'completed', conclusion: 'success', url: 'http://x' },
    ]);
    expect(data.unresolvedComments).toEqual([{ author: 'ghost', body: 'fix this', path: 'b.ts', line: 2 }]);
  });

  it('tells a missing PR (null) from a missing repository (an error)', () => {
    const refs = [
      { repo: 'a/x', number: 1 },
      { repo: 'b/y', number: 2 },
    ];
    const results = parsePullRequestsResponse(refs, ['a/x', 'b/y'], { r0: { pr1: null }, r1: null }, [
      { message: 'Could not resolve to a PullRequest with the number of 1.', type: 'NOT_FOUND', path: ['r0', 'pr1'] },
      { message: "Could not resolve to a Repository with the name 'b/y'.", type: 'NOT_FOUND', path: ['r1'] },
    ]);
    expect(results.get('a/x#1')).toBeNull();
    expect(results.get('b/y#2')).toBeInstanceOf(Error);
  });
});
