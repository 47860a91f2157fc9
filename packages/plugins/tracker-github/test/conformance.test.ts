import { createPluginContext, silentLogger } from '@ao/core/plugin';
import { expect } from 'vitest';
import { startFakeGitHub } from '@ao/testkit/fake-github';
import { checkGitHubRequests } from '@ao/testkit/github-openapi';
import { trackerConformance } from '@ao/testkit/tracker-conformance';
import plugin from '../src/index.js';

trackerConformance('github (fake GitHub server)', async () => {
  const gh = await startFakeGitHub();
  gh.addRepo('acme/app');
  // A PR shares the issue number space: the tracker must never list or return it as an issue.
  gh.addPullRequest('acme/app', { head: 'some-branch', title: 'A pull request, not an issue' });
  const ctx = createPluginContext({
    configDir: '/unused',
    env: { GITHUB_API_URL: gh.url, GITHUB_TOKEN: gh.token },
    logger: silentLogger,
    project: { name: 'app', path: '/unused', defaultBranch: 'main' },
  });
  return { tracker: await plugin.create(plugin.configSchema.parse({ repo: 'acme/app' }), ctx), cleanup: async () => {
      await gh.close();
      // Every call the plugin made is one GitHub documents (OpenAPI for REST, the schema for GraphQL).
      expect(await checkGitHubRequests(gh.requests)).toEqual([]);
    },
  };
});
