/**
 * The conformance suite every tracker runs (local, github, third-party ones): the behaviour the
 * `Tracker` contract promises, checked against the real backing store (files, a GitHub API).
 *
 *   trackerConformance('github', async () => {
 *     const gh = await startFakeGitHub();
 *     gh.addRepo('acme/app');
 *     return { tracker: await plugin.create({ repo: 'acme/app' }, ctx), cleanup: () => gh.close() };
 *   });
 *
 * Each test gets a fresh, empty tracker from `setup`.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Tracker } from '@ao/core';

export interface TrackerUnderTest {
  tracker: Tracker;
  /** An id of the tracker's form that names no issue (default `987654`). */
  unknownId?: string;
  cleanup(): Promise<void>;
}

async function errorOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export function trackerConformance(label: string, setup: () => Promise<TrackerUnderTest>): void {
  describe(`tracker conformance: ${label}`, () => {
    let under: TrackerUnderTest | undefined;
    const run = randomBytes(3).toString('hex');

    beforeEach(async () => {
      under = await setup();
    });

    afterEach(async () => {
      await under?.cleanup();
      under = undefined;
    });

    const tracker = (): Tracker => under!.tracker;

    it('creates an issue and gets it back by id', async () => {
      const created = await tracker().createIssue({ title: `Fix the login redirect ${run}`, body: 'Users land on /404.\n\nSteps: log in.', labels: ['bug'] });
      expect(created.id).toMatch(/\S/);
      expect(created).toMatchObject({ title: `Fix the login redirect ${run}`, state: 'open', labels: ['bug'] });
      const got = await tracker().getIssue(created.id);
      expect(got).toMatchObject({ id: created.id, title: created.title, state: 'open', labels: ['bug'] });
      expect(got.body).toContain('Users land on /404.');
      expect(Array.isArray(got.assignees)).toBe(true);
    });

    it('gives distinct ids to distinct issues', async () => {
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await tracker().createIssue({ title: `Issue ${i} ${run}` })).id);
      expect(new Set(ids).size).toBe(3);
    });

    it('lists open issues, filtered by label and limited', async () => {
      const ready1 = await tracker().createIssue({ title: `Ready one ${run}`, labels: ['ready', 'backend'] });
      const ready2 = await tracker().createIssue({ title: `Ready two ${run}`, labels: ['ready'] });
      const other = await tracker().createIssue({ title: `Not ready ${run}`, labels: ['idea'] });

      const all = await tracker().listIssues();
      expect(all.map((i) => i.id).sort()).toEqual([ready1.id, ready2.id, other.id].sort());

      const ready = await tracker().listIssues({ labels: ['ready'] });
      expect(ready.map((i) => i.id).sort()).toEqual([ready1.id, ready2.id].sort());
      expect(ready.every((i) => i.labels.includes('ready'))).toBe(true);

      // Several labels: issues carrying all of them.
      expect((await tracker().listIssues({ labels: ['ready', 'backend'] })).map((i) => i.id)).toEqual([ready1.id]);
      expect(await tracker().listIssues({ labels: ['nobody-uses-this'] })).toEqual([]);
      expect(await tracker().listIssues({ labels: ['ready'], limit: 1 })).toHaveLength(1);
      expect(await tracker().listIssues({ limit: 0 })).toEqual([]);
    });

    it('takes a comment on an issue', async () => {
      const issue = await tracker().createIssue({ title: `Commented ${run}` });
      await tracker().comment(issue.id, 'Session app-1 opened PR #3.\nCI is running.');
      await tracker().comment(issue.id, 'Merged.');
      expect((await tracker().getIssue(issue.id)).state).toBe('open');
    });

    it('closes an issue, and closing it again is not an error', async () => {
      const issue = await tracker().createIssue({ title: `To close ${run}`, labels: ['ready'] });
      await tracker().close(issue.id);
      expect((await tracker().getIssue(issue.id)).state).toBe('closed');
      await tracker().close(issue.id);
      expect((await tracker().getIssue(issue.id)).state).toBe('closed');

      expect((await tracker().listIssues()).map((i) => i.id)).not.toContain(issue.id);
      expect((await tracker().listIssues({ labels: ['ready'] })).map((i) => i.id)).not.toContain(issue.id);
      expect((await tracker().listIssues({ state: 'closed' })).map((i) => i.id)).toContain(issue.id);
      expect((await tracker().listIssues({ state: 'all' })).map((i) => i.id)).toContain(issue.id);
    });

    it('answers an unknown id with ISSUE_NOT_FOUND, whatever the call', async () => {
      const unknown = under!.unknownId ?? '987654';
      for (const call of [() => tracker().getIssue(unknown), () => tracker().comment(unknown, 'hello'), () => tracker().close(unknown)]) {
        const error = await errorOf(call());
        expect(error.code).toBe('ISSUE_NOT_FOUND');
        expect(error.message).toContain(unknown.replace(/^#/, ''));
      }
      expect((await errorOf(tracker().getIssue('not an id'))).code).toBe('ISSUE_NOT_FOUND');
    });
  });
}
