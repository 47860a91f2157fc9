import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPluginContext, silentLogger } from '@ao/core/plugin';
import plugin from '../src/index.js';
import { openInput, readJson, setup, type Fixture } from './setup.js';

describe('scm-local pull requests and reviews', () => {
  let f: Fixture;

  beforeEach(async () => {
    f = await setup();
  });

  afterEach(async () => {
    await f.cleanup();
  });

  it('opens a PR for a branch with a commit and stores it as a record', async () => {
    const head = await f.commit(f.ws, 'feature.txt', 'feature\n');
    const pr = await f.scm.openPullRequest(openInput());
    expect(pr).toMatchObject({ id: '1', title: 'Add feature', branch: 'feature', baseBranch: 'main', state: 'open', headSha: head });

    const record = await readJson(f.prFile('1'));
    expect(record).toMatchObject({ id: '1', body: 'Closes #1', headSha: head, state: 'open', reviews: [], ci: {} });
    expect(typeof record.createdAt).toBe('string');

    // Opening again returns the open PR instead of a second one.
    expect((await f.scm.openPullRequest(openInput('feature', 'Other title'))).id).toBe('1');
    expect(await f.scm.findPullRequest({ project: 'app', branch: 'feature' })).toMatchObject({ id: '1', headSha: head });
    expect(await f.scm.findPullRequest({ project: 'app', branch: 'nope' })).toBeNull();
  });

  it('refuses a branch with no commits ahead of the base, and a branch that does not exist', async () => {
    await expect(f.scm.openPullRequest(openInput())).rejects.toMatchObject({ code: 'PR_STATE', message: expect.stringContaining('no commits ahead of main') });
    await expect(f.scm.openPullRequest(openInput('missing'))).rejects.toMatchObject({ code: 'PR_STATE', message: expect.stringContaining('does not exist') });
    expect(await f.scm.listPullRequests()).toEqual([]);
  });

  it('gives concurrent opens distinct ids, and one PR per branch', async () => {
    const branches = ['a', 'b', 'c', 'd', 'e'];
    for (const branch of branches) {
      await f.repo.git('branch', branch, 'main');
      await f.git(f.ws, 'checkout', '--quiet', branch);
      await f.commit(f.ws, `${branch}.txt`, branch);
    }
    const other = await f.create();
    const prs = await Promise.all([...branches, ...branches].map((branch, i) => (i % 2 ? other : f.scm).openPullRequest(openInput(branch))));
    const idOf = new Map<string, string>();
    for (const pr of prs) {
      if (idOf.has(pr.branch)) expect(pr.id).toBe(idOf.get(pr.branch));
      idOf.set(pr.branch, pr.id);
    }
    expect([...idOf.values()].sort()).toEqual(['1', '2', '3', '4', '5']);
    expect((await f.scm.listPullRequests()).map((r) => r.id)).toEqual(['1', '2', '3', '4', '5']);
  });

  it('follows new commits on the branch when polled', async () => {
    await f.commit(f.ws, 'feature.txt', 'one\n');
    const pr = await f.scm.openPullRequest(openInput());
    const second = await f.commit(f.ws, 'feature.txt', 'two\n');
    const status = (await f.scm.pollPullRequests([pr])).get('1');
    expect(status?.pr.headSha).toBe(second);
    expect(status?.ci).toEqual({ state: 'none', failing: [] });
    expect(status?.review).toEqual({ decision: 'pending', comments: [] });
    expect((await readJson(f.prFile('1'))).headSha).toBe(second);
  });

  it('takes reviews: changes requested with comments, then approval, which a new commit does not reset', async () => {
    await f.commit(f.ws, 'feature.txt', 'one\n');
    const pr = await f.scm.openPullRequest(openInput());

    let result = await f.scm.review('1', { decision: 'changes_requested', body: 'Please add tests', author: 'alice' });
    expect(result.review).toEqual({ decision: 'changes_requested', comments: [{ author: 'alice', body: 'Please add tests' }], latest: { at: expect.any(String), sha: pr.headSha } });
    await f.scm.review('1', { decision: 'commented', body: 'And a changelog entry', author: 'bob' });
    let review = (await f.scm.pollPullRequests([pr])).get('1')?.review;
    expect(review?.decision).toBe('changes_requested');
    expect(review?.comments.map((c) => c.body)).toEqual(['Please add tests', 'And a changelog entry']);

    result = await f.scm.review('1', { decision: 'approved', author: 'alice' });
    // `latest`: the deciding review, when and the head it saw (the lifecycle's consent to merge).
    const approval = { at: (await f.scm.getPullRequest('1'))!.reviews[2]!.ts, sha: pr.headSha };
    expect(result.review).toEqual({ decision: 'approved', comments: [], latest: approval });

    await f.commit(f.ws, 'feature.txt', 'two\n');
    review = (await f.scm.pollPullRequests([pr])).get('1')?.review;
    expect(review).toEqual({ decision: 'approved', comments: [], latest: approval });

    // A comment after the approval is feedback to address, but not a change of decision.
    await f.scm.review('1', { decision: 'commented', body: 'Nit: typo', author: 'bob' });
    review = (await f.scm.pollPullRequests([pr])).get('1')?.review;
    expect(review).toEqual({ decision: 'approved', comments: [{ author: 'bob', body: 'Nit: typo' }], latest: approval });

    const record = await f.scm.getPullRequest('1');
    expect(record?.reviews.map((r) => r.decision)).toEqual(['changes_requested', 'commented', 'approved', 'commented']);
    expect(record?.reviews[0]?.sha).toBe(pr.headSha);
  });

  it('keeps reviews made through another instance while this one updates the record', async () => {
    await f.commit(f.ws, 'feature.txt', 'one\n');
    await f.scm.openPullRequest(openInput());
    const other = await f.create();
    await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => f.scm.review('1', { decision: 'commented', body: `a${i}` })),
      ...Array.from({ length: 5 }, (_, i) => other.review('1', { decision: 'commented', body: `b${i}` })),
    ]);
    expect((await f.scm.getPullRequest('1'))?.reviews).toHaveLength(10);
  });

  it('notices a branch merged by hand and a branch deleted without merging', async () => {
    await f.commit(f.ws, 'feature.txt', 'one\n');
    const merged = await f.scm.openPullRequest(openInput());
    await f.repo.git('merge', '--quiet', '--no-ff', '-m', 'by hand', 'feature');

    await f.repo.git('branch', 'dropped', 'main');
    await f.git(f.ws, 'checkout', '--quiet', 'dropped');
    await f.commit(f.ws, 'dropped.txt', 'x');
    const dropped = await f.scm.openPullRequest(openInput('dropped'));
    await f.git(f.ws, 'checkout', '--quiet', '--detach');
    await f.repo.git('branch', '-D', 'dropped');

    const statuses = await f.scm.pollPullRequests([merged, dropped]);
    expect(statuses.get(merged.id)?.pr.state).toBe('merged');
    expect(statuses.get(dropped.id)?.pr.state).toBe('closed');
    await expect(f.scm.review(merged.id, { decision: 'approved' })).rejects.toMatchObject({ code: 'PR_STATE' });
  });

  it('leaves a PR with a missing record out of a poll instead of failing the others', async () => {
    await f.commit(f.ws, 'feature.txt', 'one\n');
    const pr = await f.scm.openPullRequest(openInput());
    const statuses = await f.scm.pollPullRequests([pr, { ...pr, id: '99' }]);
    expect([...statuses.keys()]).toEqual(['1']);
  });

  it('needs a project', async () => {
    const ctx = createPluginContext({ configDir: f.home.path, env: { AO_HOME: f.home.path }, logger: silentLogger });
    expect(() => plugin.create(plugin.configSchema.parse({}), ctx)).toThrow(expect.objectContaining({ code: 'PROJECT_NOT_FOUND' }));
  });

  it('validates its config', () => {
    expect(plugin.configSchema.safeParse({ ci: ['npm', 'test'], mergeMethod: 'squash' }).success).toBe(true);
    expect(plugin.configSchema.safeParse({ ci: [] }).success).toBe(false);
    expect(plugin.configSchema.safeParse({ mergeMethod: 'rebase' }).success).toBe(false);
    expect(plugin.configSchema.safeParse({ unknown: 1 }).success).toBe(false);
    expect(plugin.configSchema.parse({})).toEqual({ ciTimeoutMs: 600_000, logTailLines: 40, logMaxChars: 6000, mergeMethod: 'merge' });
  });
});
