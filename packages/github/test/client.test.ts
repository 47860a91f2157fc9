import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exec, isAoError, silentLogger } from '@ao/core';
import { startFakeGitHub, type FakeGitHub } from '@ao/testkit/fake-github';
import { createGitHubClient, githubDoctorChecks, toAoError } from '../src/index.js';
import { clientFor, fakeClock, recordingLogger } from './helpers.js';

let fake: FakeGitHub;

beforeEach(async () => {
  fake = await startFakeGitHub();
  fake.addRepo('acme/app');
});

afterEach(async () => {
  await fake.close();
});

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return (isAoError(error) ? error : toAoError(error, { what: 'the test call', repo: 'acme/app' })) as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('one shared client', () => {
  it('is shared per base URL and token, so plugins share the ETag cache and rate limit', () => {
    const a = clientFor(fake);
    expect(clientFor(fake)).toBe(a);
    expect(clientFor(fake, { token: 'other' })).not.toBe(a);
  });

  it('sends If-None-Match and answers a 304 from its cache, which costs no rate limit', async () => {
    fake.addIssue('acme/app', { title: 'first' });
    const gh = clientFor(fake);
    const first = await gh.octokit.rest.issues.listForRepo({ owner: 'acme', repo: 'app' });
    const remaining = fake.getRateLimit().remaining;
    const second = await gh.octokit.rest.issues.listForRepo({ owner: 'acme', repo: 'app' });
    expect(second.data).toEqual(first.data);
    expect(fake.requests.map((r) => r.status)).toEqual([200, 304]);
    expect(fake.requests[1]!.headers['if-none-match']).toMatch(/^W\/"/);
    expect(fake.getRateLimit().remaining).toBe(remaining);
    expect(gh.stats().notModified).toBe(1);

    fake.addIssue('acme/app', { title: 'second' });
    const third = await gh.octokit.rest.issues.listForRepo({ owner: 'acme', repo: 'app' });
    expect(third.data.map((i) => i.title).sort()).toEqual(['first', 'second']);
    expect(fake.requests.at(-1)!.status).toBe(200);
  });

  it('reports the rate limit and the token scopes from response headers', async () => {
    const gh = clientFor(fake);
    expect(gh.rateLimit()).toBeUndefined();
    await gh.octokit.rest.users.getAuthenticated();
    expect(gh.rateLimit()).toMatchObject({ limit: 5000, remaining: fake.getRateLimit().remaining });
    expect(gh.scopes()).toEqual(['repo']);
  });
});

describe('tokens', () => {
  it('without GITHUB_TOKEN, GH_TOKEN or gh, says how to provide one', async () => {
    const gh = createGitHubClient({ env: { GITHUB_API_URL: fake.url, PATH: '/nonexistent' }, exec, logger: silentLogger, clock: fakeClock() });
    const error = await rejection(gh.octokit.rest.users.getAuthenticated());
    expect(error.code).toBe('GITHUB_AUTH');
    expect(error.message).toMatch(/export GITHUB_TOKEN=/);
    expect(error.message).toMatch(/gh auth login/);
    expect(fake.requests).toHaveLength(0);
  });

  it('takes GH_TOKEN too, and never logs the token', async () => {
    const logger = recordingLogger();
    const gh = createGitHubClient({ env: { GITHUB_API_URL: fake.url, GH_TOKEN: fake.token }, exec, logger, clock: fakeClock() });
    expect(await gh.ensureToken()).toBe('GH_TOKEN');
    fake.failNext({ status: 502 });
    await gh.octokit.rest.users.getAuthenticated();
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(logger.lines.join('\n')).not.toContain(fake.token);
  });

  it('a wrong token is GITHUB_AUTH, not retried', async () => {
    const gh = clientFor(fake, { token: 'wrong' });
    const error = await rejection(gh.octokit.rest.users.getAuthenticated());
    expect(error.code).toBe('GITHUB_AUTH');
    expect(error.message).toMatch(/rejected the token.*Bad credentials/);
    expect(error.message).not.toContain('wrong');
    expect(fake.requests).toHaveLength(1);
  });
});

describe('faults', () => {
  it('retries 5xx with backoff, then succeeds', async () => {
    const clock = fakeClock();
    const gh = clientFor(fake, { clock });
    fake.failNext({ status: 502, times: 2 });
    const { data } = await gh.octokit.rest.users.getAuthenticated();
    expect(data.login).toBe('ao-test-user');
    expect(clock.slept).toEqual([1000, 2000]);
    expect(gh.health()).toBe('ok');
  });

  it('gives up after bounded retries with GITHUB_FAILED, health degraded until a success', async () => {
    const clock = fakeClock();
    const gh = clientFor(fake, { clock });
    fake.failNext({ status: 503, times: 4 });
    const error = await rejection(gh.octokit.rest.users.getAuthenticated());
    expect(error.code).toBe('GITHUB_FAILED');
    expect(error.message).toMatch(/503.*retried/);
    expect(fake.requests).toHaveLength(4);
    expect(clock.slept).toEqual([1000, 2000, 4000]);
    expect(gh.health()).toBe('degraded');
    await gh.octokit.rest.users.getAuthenticated();
    expect(gh.health()).toBe('ok');
  });

  it('retries network errors, then reports GitHub unreachable', async () => {
    // A port nobody listens on: bind, read the port, close.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const clock = fakeClock();
    const gh = createGitHubClient({ env: { GITHUB_API_URL: `http://127.0.0.1:${port}`, GITHUB_TOKEN: 't' }, exec, logger: silentLogger, clock });
    const error = await rejection(gh.octokit.rest.users.getAuthenticated());
    expect(error.code).toBe('GITHUB_FAILED');
    expect(error.message).toMatch(/could not be reached/);
    expect(clock.slept).toEqual([1000, 2000, 4000]);
    expect(gh.health()).toBe('degraded');
  });

  it('honours Retry-After on a secondary rate limit', async () => {
    const clock = fakeClock();
    const gh = clientFor(fake, { clock });
    fake.failNext({ status: 403, secondary: true, retryAfter: 7 });
    const { data } = await gh.octokit.rest.repos.get({ owner: 'acme', repo: 'app' });
    expect(data.full_name).toBe('acme/app');
    expect(clock.slept).toEqual([7000]);
  });

  it('waits for the reset when the rate limit is exhausted, then carries on', async () => {
    const resetAt = Math.floor(Date.now() / 1000) + 120;
    fake.setRateLimit({ remaining: 0, resetAt });
    // The fake clock's sleep is when "time passes": GitHub refills the budget at the reset.
    const clock = fakeClock(() => fake.setRateLimit({ remaining: 5000, resetAt: resetAt + 3600 }));
    const gh = clientFor(fake, { clock });
    const { data } = await gh.octokit.rest.users.getAuthenticated();
    expect(data.login).toBe('ao-test-user');
    expect(clock.slept).toHaveLength(1);
    expect(clock.slept[0]).toBeGreaterThanOrEqual(100_000);
    expect(clock.slept[0]).toBeLessThanOrEqual(125_000);
  });

  it('slows down when the budget runs low, spreading requests until the reset', async () => {
    const clock = fakeClock();
    const logger = recordingLogger();
    const gh = clientFor(fake, { clock, logger });
    fake.setRateLimit({ remaining: 51, resetAt: Math.floor(clock.now() / 1000) + 100 });
    await gh.octokit.rest.users.getAuthenticated();
    expect(clock.slept).toEqual([]);
    await gh.octokit.rest.users.getAuthenticated();
    await gh.octokit.rest.users.getAuthenticated();
    expect(clock.slept).toHaveLength(2);
    for (const ms of clock.slept) expect(ms).toBeGreaterThan(1000);
    expect(logger.lines.join('\n')).toMatch(/slowing down/);
  });

  it('names the missing scope when a repository is out of reach', async () => {
    await fake.close();
    fake = await startFakeGitHub({ scopes: ['public_repo'] });
    const gh = clientFor(fake);
    const error = await rejection(
      gh.octokit.rest.repos.get({ owner: 'acme', repo: 'secret' }).catch((e: unknown) => {
        throw toAoError(e, { what: 'reading acme/secret', repo: 'acme/secret', scopes: gh.scopes() });
      }),
    );
    expect(error.code).toBe('GITHUB_NOT_FOUND');
    expect(error.message).toMatch(/"repo" scope/);
    expect(error.message).toMatch(/public_repo/);
  });
});

describe('batched pull request status', () => {
  it('asks the signal of 120 PRs in two queries, their detail in three, then answers unchanged PRs from memory', async () => {
    const numbers = Array.from({ length: 120 }, (_, i) => fake.addPullRequest('acme/app', { head: `b${i}` }));
    const gh = clientFor(fake);
    const map = await gh.pullRequestsStatus(numbers.map((number) => ({ repo: 'acme/app', number })));
    expect(map.size).toBe(120);
    expect(fake.requests.map((r) => [r.path, r.graphqlAliases])).toEqual([
      ['/graphql', 100],
      ['/graphql', 20],
      ['/graphql', 50],
      ['/graphql', 50],
      ['/graphql', 20],
    ]);
    const first = map.get(`acme/app#${numbers[0]}`)!;
    expect(first).toMatchObject({ state: 'open', headRefName: 'b0', baseRefName: 'main', checkRollup: null, checks: [] });
    // By GitHub's formula: 3 + 1 points of signal (3 requests per PR); detail 3 requests per PR (150 per 50 PRs: 2 points).
    expect(fake.requests.map((r) => r.graphqlCost)).toEqual([3, 1, 2, 2, 1]);
    expect(gh.budget()).toMatchObject({ pointsSpent: 9, queries: 5, remaining: fake.getRateLimit('graphql').remaining, trackedPullRequests: 120 });

    fake.resetRequests();
    fake.addReview('acme/app', numbers[7]!, { state: 'APPROVED', user: 'carol' });
    const again = await gh.pullRequestsStatus(numbers.map((number) => ({ repo: 'acme/app', number })));
    expect(again.get(`acme/app#${numbers[7]}`)!.reviewDecision).toBe('approved');
    expect(fake.requests.map((r) => r.graphqlAliases)).toEqual([100, 20, 1]);
  });

  it('shares batches between calls made at the same time (two projects polling)', async () => {
    fake.addRepo('acme/api');
    const a = fake.addPullRequest('acme/app', { head: 'x' });
    const b = fake.addPullRequest('acme/api', { head: 'y' });
    const gh = clientFor(fake);
    const [ma, mb] = await Promise.all([gh.pullRequestsStatus([{ repo: 'acme/app', number: a }]), gh.pullRequestsStatus([{ repo: 'acme/api', number: b }])]);
    expect([...ma.keys()]).toEqual([`acme/app#${a}`]);
    expect([...mb.keys()]).toEqual([`acme/api#${b}`]);
    expect(fake.requests.map((r) => r.graphqlAliases)).toEqual([2, 2]);
  });

  it('leaves out PRs GitHub does not have, and rejects for an unknown repository only its caller', async () => {
    const a = fake.addPullRequest('acme/app', { head: 'x' });
    const gh = clientFor(fake);
    const [known, unknown] = await Promise.allSettled([
      gh.pullRequestsStatus([
        { repo: 'acme/app', number: a },
        { repo: 'acme/app', number: 999 },
      ]),
      gh.pullRequestsStatus([{ repo: 'acme/gone', number: 1 }]),
    ]);
    expect(known.status === 'fulfilled' && [...known.value.keys()]).toEqual([`acme/app#${a}`]);
    expect(unknown.status === 'rejected' && (unknown.reason as { code: string }).code).toBe('GITHUB_NOT_FOUND');
  });
});

describe('githubDoctorChecks', () => {
  it('shows the token source, login and scopes, each repository and the remaining budget', async () => {
    const checks = await githubDoctorChecks({ repos: ['acme/app', 'acme/missing'], env: { GITHUB_API_URL: fake.url, GITHUB_TOKEN: fake.token }, exec, logger: silentLogger, clock: fakeClock() });
    expect(checks.map((c) => [c.level, c.label])).toEqual([
      ['ok', 'github token'],
      ['ok', 'github auth'],
      ['ok', 'github acme/app'],
      ['fail', 'github acme/missing'],
      ['ok', 'github rate limit'],
    ]);
    expect(checks[0]!.detail).toContain('GITHUB_TOKEN');
    expect(checks[1]!.detail).toMatch(/ao-test-user, scopes: repo/);
    expect(checks[4]!.detail).toMatch(/\d+\/5000 REST requests left/);
  });

  it('says when the token lacks the repo scope, and when there is no token', async () => {
    await fake.close();
    fake = await startFakeGitHub({ scopes: ['read:org'] });
    const env = { GITHUB_API_URL: fake.url, GITHUB_TOKEN: fake.token };
    const checks = await githubDoctorChecks({ repos: [], env, exec, logger: silentLogger, clock: fakeClock() });
    expect(checks[1]).toMatchObject({ level: 'fail', label: 'github auth' });
    expect(checks[1]!.detail).toMatch(/lacks the "repo" scope \(has: read:org\)/);

    const none = await githubDoctorChecks({ repos: ['acme/app'], env: { GITHUB_API_URL: fake.url, PATH: '/nonexistent' }, exec, logger: silentLogger, clock: fakeClock() });
    expect(none).toEqual([{ level: 'fail', label: 'github token', detail: expect.stringMatching(/export GITHUB_TOKEN=/) }]);
  });
});
