import { afterEach, describe, expect, it } from 'vitest';
import { exec, silentLogger } from '@ao/core';
import { startFakeGitHub, type FakeGitHub } from '@ao/testkit/fake-github';
import { createGitHubClient, graphqlUrlFor } from '../src/index.js';
import { fakeClock } from './helpers.js';

let fake: FakeGitHub | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('GitHub Enterprise Server', () => {
  it('derives the GraphQL endpoint: api.github.com/graphql, HOST/api/graphql for GHES, overridable', () => {
    expect(graphqlUrlFor({ env: {} })).toBe('https://api.github.com/graphql');
    expect(graphqlUrlFor({ env: { GITHUB_API_URL: 'https://ghe.example.com/api/v3' } })).toBe('https://ghe.example.com/api/graphql');
    expect(graphqlUrlFor({ env: { GITHUB_API_URL: 'https://ghe.example.com/api/v3/' } })).toBe('https://ghe.example.com/api/graphql');
    expect(graphqlUrlFor({ env: { GITHUB_API_URL: 'https://ghe.example.com/api/v3', GITHUB_GRAPHQL_URL: 'https://gql.example.com/graphql' } })).toBe(
      'https://gql.example.com/graphql',
    );
    expect(graphqlUrlFor({ env: {}, baseUrl: 'https://ghe.example.com/api/v3', graphqlUrl: 'https://other.example.com/api/graphql' })).toBe(
      'https://other.example.com/api/graphql',
    );
  });

  it('sends REST under /api/v3 and GraphQL to /api/graphql of a GHES-shaped server', async () => {
    fake = await startFakeGitHub({ enterprise: true });
    const number = fake.addPullRequest('acme/app', { head: 'ao/feat' });
    const gh = createGitHubClient({ env: { GITHUB_API_URL: fake.url, GITHUB_TOKEN: fake.token }, exec, logger: silentLogger, clock: fakeClock() });
    expect(gh.graphqlUrl).toBe(fake.url.replace(/\/v3$/, '/graphql'));

    const { data: repo } = await gh.octokit.rest.repos.get({ owner: 'acme', repo: 'app' });
    expect(repo.full_name).toBe('acme/app');
    const status = await gh.pullRequestsStatus([{ repo: 'acme/app', number }]);
    expect(status.get(`acme/app#${number}`)?.headRefName).toBe('ao/feat');
    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['GET /api/v3/repos/acme/app 200', 'POST /api/graphql 200', 'POST /api/graphql 200']);
  });
});
