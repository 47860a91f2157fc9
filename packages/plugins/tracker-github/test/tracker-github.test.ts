import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPluginContext, silentLogger, type Clock } from '@ao/core/plugin';
import { startFakeGitHub, type FakeGitHub } from '@ao/testkit/fake-github';
import { checkGitHubRequests } from '@ao/testkit/github-openapi';
import plugin, { type GitHubTracker } from '../src/index.js';

let gh: FakeGitHub;

/** Sleeps pass instantly: retries and backoff are exercised without waiting. */
const instantClock: Clock = { now: () => Date.now(), sleep: async () => {} };

async function trackerFor(config: Record<string, unknown>, env: Record<string, string | undefined> = {}): Promise<GitHubTracker> {
  const ctx = createPluginContext({
    configDir: '/unused',
    env: { GITHUB_API_URL: gh.url, GITHUB_TOKEN: gh.token, ...env },
    logger: silentLogger,
    clock: instantClock,
    project: { name: 'app', path: '/unused', defaultBranch: 'main' },
  });
  return (await plugin.create(plugin.configSchema.parse(config), ctx)) as GitHubTracker;
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

beforeEach(async () => {
  gh = await startFakeGitHub();
  gh.addRepo('acme/app');
});

afterEach(async () => {
  // Whatever the plugin sent must be a documented GitHub call: REST against GitHub's OpenAPI
  // description, GraphQL against its schema (scripted failures aside).
  const sent = gh.requests.filter((r) => r.status < 500);
  await gh.close();
  expect(await checkGitHubRequests(sent)).toEqual([]);
});

describe('manifest', () => {
  it('is the github tracker with a strict config and a validated repo', () => {
    expect([plugin.name, plugin.slot]).toEqual(['github', 'tracker']);
    expect(plugin.configSchema.safeParse({ repo: 'acme/app', labels: ['ao'] }).success).toBe(true);
    expect(plugin.configSchema.safeParse({ repo: 'acme' }).success).toBe(false);
    expect(plugin.configSchema.safeParse({ repo: 'acme/app', token: 'x' }).success).toBe(false);
    expect(plugin.configSchema.safeParse({}).success).toBe(false);
  });
});

describe('issues', () => {
  it('reads an issue by number or #number, and refuses a pull request number', async () => {
    const n = gh.addIssue('acme/app', { title: 'Broken login', body: 'It 500s', labels: ['bug'], assignees: ['alice'] });
    const pr = gh.addPullRequest('acme/app', { head: 'feat' });
    const tracker = await trackerFor({ repo: 'acme/app' });
    expect(await tracker.getIssue(`#${n}`)).toEqual({
      id: String(n),
      title: 'Broken login',
      body: 'It 500s',
      labels: ['bug'],
      assignees: ['alice'],
      state: 'open',
      url: expect.stringContaining(`/acme/app/issues/${n}`),
    });
    const error = await rejection(tracker.getIssue(String(pr)));
    expect(error.code).toBe('ISSUE_NOT_FOUND');
    expect(error.message).toMatch(/is a pull request/);
  });

  it('lists with assignee, milestone (by title) and state, never including PRs, and pages through', async () => {
    for (let i = 0; i < 130; i++) gh.addIssue('acme/app', { title: `bulk ${i}`, labels: ['bulk'] });
    gh.addIssue('acme/app', { title: 'mine', assignees: ['alice'], milestone: 'v1' });
    gh.addIssue('acme/app', { title: 'old', state: 'closed', milestone: 'v1' });
    gh.addPullRequest('acme/app', { head: 'feat', title: 'a PR' });
    const tracker = await trackerFor({ repo: 'acme/app' });

    gh.resetRequests();
    const all = await tracker.listIssues();
    expect(all).toHaveLength(131);
    expect(all.some((i) => i.title === 'a PR')).toBe(false);
    expect(gh.requests.map((r) => r.query.page ?? '1')).toEqual(['1', '2']);

    gh.resetRequests();
    expect(await tracker.listIssues({ labels: ['bulk'], limit: 5 })).toHaveLength(5);
    expect(gh.requests).toHaveLength(1); // the limit stops paging

    expect((await tracker.listIssues({ assignee: 'alice' })).map((i) => i.title)).toEqual(['mine']);
    expect((await tracker.listIssues({ milestone: 'v1', state: 'all' })).map((i) => i.title).sort()).toEqual(['mine', 'old']);
    expect((await tracker.listIssues({ state: 'closed' })).map((i) => i.title)).toEqual(['old']);
  });

  it('applies the configured labels to what it lists and creates', async () => {
    gh.addIssue('acme/app', { title: 'for ao', labels: ['ao', 'ready'] });
    gh.addIssue('acme/app', { title: 'for humans', labels: ['ready'] });
    const tracker = await trackerFor({ repo: 'acme/app', labels: ['ao'] });
    expect((await tracker.listIssues({ labels: ['ready'] })).map((i) => i.title)).toEqual(['for ao']);
    const created = await tracker.createIssue({ title: 'New', labels: ['bug'] });
    expect(created.labels.sort()).toEqual(['ao', 'bug']);
    expect(gh.issue('acme/app', Number(created.id)).labels.sort()).toEqual(['ao', 'bug']);
  });

  it('comments, closes once on GitHub, and assigns', async () => {
    const n = gh.addIssue('acme/app', { title: 'x' });
    const tracker = await trackerFor({ repo: 'acme/app' });
    await tracker.comment(String(n), 'PR #7 is open');
    expect(gh.issue('acme/app', n).comments.map((c) => c.body)).toEqual(['PR #7 is open']);
    await tracker.assign(String(n), ['bob', 'carol']);
    expect(gh.issue('acme/app', n).assignees).toEqual(['bob', 'carol']);
    await tracker.close(String(n));
    await tracker.close(String(n));
    expect(gh.issue('acme/app', n).state).toBe('closed');
  });
});

describe('faults', () => {
  it('tells a missing repository from a missing issue', async () => {
    const tracker = await trackerFor({ repo: 'acme/nope' });
    const error = await rejection(tracker.getIssue('1'));
    expect(error.code).toBe('GITHUB_NOT_FOUND');
    expect(error.message).toContain('acme/nope');
    expect((await rejection((await trackerFor({ repo: 'acme/app' })).getIssue('42'))).code).toBe('ISSUE_NOT_FOUND');
  });

  it('names the repo scope when a token without it cannot see the repository', async () => {
    await gh.close();
    gh = await startFakeGitHub({ scopes: ['public_repo'] });
    const tracker = await trackerFor({ repo: 'acme/private-thing' });
    const error = await rejection(tracker.listIssues());
    expect(error.code).toBe('GITHUB_NOT_FOUND');
    expect(error.message).toMatch(/"repo" scope/);

    gh.addRepo('acme/app');
    gh.failNext({ status: 403, message: 'Resource not accessible by personal access token' });
    const refused = await rejection((await trackerFor({ repo: 'acme/app' })).createIssue({ title: 'x' }));
    expect(refused.code).toBe('GITHUB_AUTH');
    expect(refused.message).toMatch(/Resource not accessible.*scopes are public_repo.*need the "repo" scope/);
  });

  it('without any token, says how to provide one', async () => {
    const tracker = await trackerFor({ repo: 'acme/app' }, { GITHUB_TOKEN: undefined, GH_TOKEN: undefined, PATH: '/nonexistent' });
    const error = await rejection(tracker.getIssue('1'));
    expect(error.code).toBe('GITHUB_AUTH');
    expect(error.message).toMatch(/export GITHUB_TOKEN=.*gh auth login/);
  });

  it('retries a 5xx and carries on', async () => {
    const n = gh.addIssue('acme/app', { title: 'x' });
    gh.failNext({ status: 502, times: 2 });
    expect((await (await trackerFor({ repo: 'acme/app' })).getIssue(String(n))).title).toBe('x');
  });
});
