/**
 * The conformance suite every SCM runs (local, github, third-party ones): the behaviour the `Scm`
 * contract promises — open, find, poll, merge — checked against the real backend (a git repo, a
 * GitHub API).
 *
 *   scmConformance('github', async () => {
 *     const gh = await startFakeGitHub();
 *     return {
 *       scm: await plugin.create({ repo: 'acme/app' }, ctx),
 *       project: 'app',
 *       baseBranch: 'main',
 *       prepareBranch: async (branch) => ({ branch, workspacePath: '/unused' }),
 *       cleanup: () => gh.close(),
 *     };
 *   });
 *
 * `prepareBranch` makes a branch with commits ahead of the base where the SCM can see it (a commit
 * in a worktree for scm-local; on GitHub that is the agent's push).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PullRequest, PullRequestStatus, Scm } from '@ao/core';

export interface ScmUnderTest {
  scm: Scm;
  project: string;
  baseBranch: string;
  /** Creates `branch` with at least one commit ahead of the base; returns where its work lives. */
  prepareBranch(branch: string): Promise<{ branch: string; workspacePath: string }>;
  cleanup(): Promise<void>;
}

const CI_STATES = ['none', 'pending', 'passing', 'failing'];
const DECISIONS = ['none', 'pending', 'approved', 'changes_requested'];

export function scmConformance(label: string, setup: () => Promise<ScmUnderTest>): void {
  describe(`scm conformance: ${label}`, () => {
    let under: ScmUnderTest | undefined;

    beforeEach(async () => {
      under = await setup();
    });

    afterEach(async () => {
      await under?.cleanup();
      under = undefined;
    });

    const scm = (): Scm => under!.scm;

    async function open(branch: string, title = `Work on ${branch}`): Promise<PullRequest> {
      const prepared = await under!.prepareBranch(branch);
      return scm().openPullRequest({
        project: under!.project,
        branch: prepared.branch,
        baseBranch: under!.baseBranch,
        title,
        body: 'Closes #1',
        workspacePath: prepared.workspacePath,
      });
    }

    async function poll(pr: PullRequest): Promise<PullRequestStatus> {
      const statuses = await scm().pollPullRequests([pr]);
      const status = statuses.get(pr.id);
      expect(status, `poll has no entry for PR ${pr.id}`).toBeDefined();
      return status!;
    }

    it('finds nothing for a branch without a PR, then opens one and finds it', async () => {
      expect(await scm().findPullRequest({ project: under!.project, branch: 'ao/feature-none' })).toBeNull();
      const pr = await open('ao/feature-a', 'Add feature A');
      expect(pr).toMatchObject({ title: 'Add feature A', branch: 'ao/feature-a', baseBranch: under!.baseBranch, state: 'open' });
      expect(pr.id).toMatch(/\S/);
      const found = await scm().findPullRequest({ project: under!.project, branch: 'ao/feature-a' });
      expect(found).toMatchObject({ id: pr.id, branch: 'ao/feature-a', state: 'open' });
    });

    it('returns the open PR when asked to open a second one for the same branch', async () => {
      const first = await open('ao/feature-b');
      const again = await scm().openPullRequest({
        project: under!.project,
        branch: 'ao/feature-b',
        baseBranch: under!.baseBranch,
        title: 'Another title',
        workspacePath: (await under!.prepareBranch('ao/feature-b-2')).workspacePath,
      });
      expect(again.id).toBe(first.id);
    });

    it('polls state, CI, review and mergeability of every PR it is given, keyed by id', async () => {
      const a = await open('ao/feature-c');
      const b = await open('ao/feature-d');
      expect(a.id).not.toBe(b.id);
      const statuses = await scm().pollPullRequests([a, b]);
      expect([...statuses.keys()].sort()).toEqual([a.id, b.id].sort());
      for (const pr of [a, b]) {
        const s = statuses.get(pr.id)!;
        expect(s.pr).toMatchObject({ id: pr.id, branch: pr.branch, state: 'open' });
        expect(s.pr.headSha).toMatch(/^[0-9a-f]{7,}$/);
        expect(CI_STATES).toContain(s.ci.state);
        expect(Array.isArray(s.ci.failing)).toBe(true);
        expect(DECISIONS).toContain(s.review.decision);
        expect(Array.isArray(s.review.comments)).toBe(true);
        expect([true, false, 'unknown']).toContain(s.mergeability.mergeable);
        expect(typeof s.mergeability.conflicts).toBe('boolean');
      }
      expect((await scm().pollPullRequests([])).size).toBe(0);
    });

    it('merges a PR, after which a poll shows it merged', async () => {
      const pr = await open('ao/feature-e');
      const before = await poll(pr);
      expect(before.mergeability.conflicts).toBe(false);
      await scm().merge(before.pr);
      const after = await poll(pr);
      expect(after.pr.state).toBe('merged');
    });
  });
}
