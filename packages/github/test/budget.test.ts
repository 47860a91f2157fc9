import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '@ao/testkit/fake-github';
import { noteGitHubWebhook, WEBHOOK_FALLBACK_MS } from '../src/index.js';
import { clientFor, fakeClock } from './helpers.js';

let fake: FakeGitHub;
beforeEach(async () => {
  fake = await startFakeGitHub();
  fake.addRepo('acme/app');
});
afterEach(async () => {
  await fake.close();
});

const refsOf = (numbers: number[]) => numbers.map((number) => ({ repo: 'acme/app', number }));

describe('the GraphQL points budget', () => {
  it('asks the signal less often when the rest of the budget would not last until the reset, and says why', async () => {
    const numbers = [1, 2, 3].map((i) => fake.addPullRequest('acme/app', { head: `b${i}` }));
    const clock = fakeClock();
    const gh = clientFor(fake, { clock });
    // 600 points left for an hour, 500 of them kept in reserve for other users of the token.
    fake.setRateLimit({ resource: 'graphql', remaining: 600, resetAt: Math.floor(clock.now() / 1000) + 3600 });
    await gh.pullRequestsStatus(refsOf(numbers));
    const budget = gh.budget();
    expect(budget).toMatchObject({ pacing: 'budget', remaining: 598, limit: 5000, pointsSpent: 2 });
    // 3,600 s × 2 points per poll / 98 spendable points: one poll every ~73 s.
    expect(budget.signalIntervalMs).toBeGreaterThan(70_000);
    expect(budget.signalIntervalMs).toBeLessThan(76_000);

    fake.resetRequests();
    clock.t += 15_000;
    const cached = await gh.pullRequestsStatus(refsOf(numbers));
    expect(cached.size).toBe(3);
    expect(fake.requests).toHaveLength(0);

    clock.t += budget.signalIntervalMs;
    await gh.pullRequestsStatus(refsOf(numbers));
    expect(fake.requests.map((r) => r.graphqlAliases)).toEqual([3]);
  });

  it('does not pace while the budget affords polling at the default interval', async () => {
    const numbers = [1, 2].map((i) => fake.addPullRequest('acme/app', { head: `b${i}` }));
    const clock = fakeClock();
    const gh = clientFor(fake, { clock });
    await gh.pullRequestsStatus(refsOf(numbers));
    expect(gh.budget()).toMatchObject({ pacing: 'none', signalIntervalMs: 0 });
    fake.resetRequests();
    await gh.pullRequestsStatus(refsOf(numbers));
    expect(fake.requests).toHaveLength(1);
  });

  it('while webhooks flow, polls every minute as a fallback, but reads a PR a webhook named at once', async () => {
    const numbers = [1, 2, 3].map((i) => fake.addPullRequest('acme/app', { head: `b${i}` }));
    const clock = fakeClock();
    const gh = clientFor(fake, { clock });
    await gh.pullRequestsStatus(refsOf(numbers));

    fake.addReview('acme/app', numbers[1]!, { state: 'CHANGES_REQUESTED', user: 'carol' });
    noteGitHubWebhook({ repo: 'acme/app', numbers: [numbers[1]!] });
    expect(gh.budget()).toMatchObject({ pacing: 'webhooks', signalIntervalMs: WEBHOOK_FALLBACK_MS, webhooks: { received: 1, active: true } });
    fake.resetRequests();
    clock.t += 1000;
    const now = await gh.pullRequestsStatus(refsOf(numbers));
    expect(now.get(`acme/app#${numbers[1]}`)!.reviewDecision).toBe('changes_requested');
    // Only the PR the webhook named: its signal, then its detail.
    expect(fake.requests.map((r) => r.graphqlAliases)).toEqual([1, 1]);

    // A status event names a sha, not a PR.
    fake.setStatuses('acme/app', fake.pullRequest('acme/app', numbers[2]!).headSha, [{ context: 'ci', state: 'failure' }]);
    noteGitHubWebhook({ repo: 'acme/app', sha: fake.pullRequest('acme/app', numbers[2]!).headSha });
    fake.resetRequests();
    clock.t += 1000;
    expect((await gh.pullRequestsStatus(refsOf(numbers))).get(`acme/app#${numbers[2]}`)!.checkRollup).toBe('failure');
    expect(fake.requests.map((r) => r.graphqlAliases)).toEqual([1, 1]);

    fake.resetRequests();
    clock.t += WEBHOOK_FALLBACK_MS;
    await gh.pullRequestsStatus(refsOf(numbers));
    expect(fake.requests.map((r) => r.graphqlAliases)).toEqual([3]);
  });
});
