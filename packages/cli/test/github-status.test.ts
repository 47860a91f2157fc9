import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeGitHub, type FakeGitHub } from '@ao/testkit/fake-github';
import { createTempRepo } from '@ao/testkit/temp-repo';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAoAsync } from './run-ao.js';

let gh: FakeGitHub;
let repo: Awaited<ReturnType<typeof createTempRepo>>;
beforeEach(async () => {
  gh = await startFakeGitHub({ rateLimit: 5000 });
  gh.addRepo('acme/widgets');
  gh.addIssue('acme/widgets', { number: 7, title: 'Make widgets faster', body: 'They are slow.' });
  repo = await createTempRepo({ branch: 'main' });
  writeFileSync(
    join(repo.path, 'agent-orchestrator.yaml'),
    'projects:\n  app:\n    path: .\n    defaultBranch: main\n    tracker: { plugin: github, repo: acme/widgets }\n    scm: { plugin: github, repo: acme/widgets }\n',
  );
});
afterEach(async () => {
  await gh.close();
  await repo.cleanup();
});

describe('GitHub in the CLI', () => {
  it('ao status shows the remaining API budget', async () => {
    gh.setRateLimit({ remaining: 4321 });
    gh.setRateLimit({ resource: 'graphql', remaining: 1234 });
    const env = { AO_HOME: join(repo.path, '.ao-home'), GITHUB_API_URL: gh.url, GITHUB_TOKEN: gh.token };
    const r = await runAoAsync(['status'], { cwd: repo.path, env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/GitHub: 4321\/5000 requests left \(resets .*\), 1234\/5000 GraphQL points, ok/);
  });

  it('ao status says why GitHub is unavailable without failing', async () => {
    const env = { AO_HOME: join(repo.path, '.ao-home'), GITHUB_API_URL: gh.url, GITHUB_TOKEN: 'wrong-token' };
    const r = await runAoAsync(['status'], { cwd: repo.path, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/GitHub: unavailable/);
  });
});
