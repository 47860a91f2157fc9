import { createPluginContext, silentLogger } from '@ao/core/plugin';
import { expect } from 'vitest';
import { startFakeGitHub } from '@ao/testkit/fake-github';
import { checkGitHubRequests } from '@ao/testkit/github-openapi';
import { scmConformance } from '@ao/testkit/scm-conformance';
import plugin from '../src/index.js';

scmConformance('github (fake GitHub server)', async () => {
  const gh = await startFakeGitHub();
  gh.addRepo('acme/app');
  const ctx = createPluginContext({
    configDir: '/unused',
    env: { GITHUB_API_URL: gh.url, GITHUB_TOKEN: gh.token },
    logger: silentLogger,
    project: { name: 'app', path: '/unused', defaultBranch: 'main' },
  });
  return {
    scm: await plugin.create(plugin.configSchema.parse({ repo: 'acme/app' }), ctx),
    project: 'app',
    baseBranch: 'main',
    // Pushing is the agent's job; the fake server accepts any head branch.
    prepareBranch: async (branch) => ({ branch, workspacePath: '/unused' }),
    cleanup: async () => {
      await gh.close();
      // Every call the plugin made is one GitHub documents (OpenAPI for REST, the schema for GraphQL).
      expect(await checkGitHubRequests(gh.requests)).toEqual([]);
    },
  };
});
