import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openInput, setup, type Fixture } from './setup.js';

describe('scm-local mergeability and merge', () => {
  let f: Fixture;

  beforeEach(async () => {
    f = await setup();
  });

  afterEach(async () => {
    await f.cleanup();
  });

  const main = () => f.repo.git('rev-parse', 'refs/heads/main');

  /** The PR changes line 1 of shared.txt; `conflicting` makes main change it too. */
  async function openPr(options: { conflicting?: boolean } = {}) {
    await f.commit(f.ws, 'feature.txt', 'feature\n');
    await f.commit(f.ws, 'shared.txt', 'line 1 from feature\nline 2\n');
    if (options.conflicting) await f.commit(f.repo.path, 'shared.txt', 'line 1 from main\nline 2\n');
    else await f.commit(f.repo.path, 'other.txt', 'unrelated\n');
    return f.scm.openPullRequest(openInput());
  }

  /** Puts the user's repo on another branch with uncommitted work, and returns a snapshot of it. */
  async function userOnOtherBranch() {
    await f.repo.git('checkout', '--quiet', '-b', 'other');
    await writeFile(join(f.repo.path, 'README.md'), '# my local edit\n');
    await writeFile(join(f.repo.path, 'scratch.txt'), 'untracked\n');
    return snapshot();
  }

  async function snapshot() {
    return {
      head: await f.repo.git('symbolic-ref', 'HEAD'),
      status: await f.repo.git('status', '--porcelain'),
      readme: await readFile(join(f.repo.path, 'README.md'), 'utf8'),
    };
  }

  it('reports mergeability without and with a conflict', async () => {
    const clean = await openPr();
    expect((await f.scm.pollPullRequests([clean])).get('1')?.mergeability).toEqual({ mergeable: true, conflicts: false });

    await f.commit(f.repo.path, 'shared.txt', 'line 1 from main\nline 2\n');
    expect((await f.scm.pollPullRequests([clean])).get('1')?.mergeability).toEqual({ mergeable: false, conflicts: true });
  });

  it('merges with a real merge commit on the base, leaving the user on their other branch untouched', async () => {
    const pr = await openPr();
    const before = await userOnOtherBranch();
    const oldMain = await main();

    await f.scm.merge(pr);

    const newMain = await main();
    expect(await f.repo.git('rev-parse', `${newMain}^1`)).toBe(oldMain);
    expect(await f.repo.git('rev-parse', `${newMain}^2`)).toBe(pr.headSha);
    expect(await f.repo.git('log', '-1', '--format=%s', 'main')).toBe('Merge local PR #1 from feature');
    expect(await f.repo.git('show', 'main:shared.txt')).toBe('line 1 from feature\nline 2');
    expect(await f.repo.git('show', 'main:other.txt')).toBe('unrelated');
    expect(await snapshot()).toEqual(before);

    const record = await f.scm.getPullRequest('1');
    expect(record).toMatchObject({ state: 'merged', mergedSha: newMain, headSha: pr.headSha });
    expect((await f.scm.pollPullRequests([pr])).get('1')?.pr.state).toBe('merged');

    // Merging again is a no-op.
    await f.scm.merge(pr);
    expect(await main()).toBe(newMain);
  });

  it('refuses a conflicting merge, naming the files, and changes nothing', async () => {
    const pr = await openPr({ conflicting: true });
    const oldMain = await main();
    const before = await snapshot();
    await expect(f.scm.merge(pr)).rejects.toMatchObject({
      code: 'MERGE_CONFLICT',
      message: expect.stringContaining('shared.txt'),
      details: expect.objectContaining({ files: ['shared.txt'] }),
    });
    expect(await main()).toBe(oldMain);
    expect(await snapshot()).toEqual(before);
    expect((await f.scm.getPullRequest('1'))?.state).toBe('open');
  });

  it('squashes into one commit with the base as its only parent', async () => {
    const pr = await openPr();
    await userOnOtherBranch();
    const oldMain = await main();
    await f.scm.merge(pr, { method: 'squash' });
    const newMain = await main();
    expect(await f.repo.git('rev-list', '--parents', '-n', '1', newMain)).toBe(`${newMain} ${oldMain}`);
    expect((await f.repo.git('log', '-1', '--format=%B', 'main')).trim()).toBe('Add feature (#1)\n\nCloses #1');
    expect(await f.repo.git('show', 'main:feature.txt')).toBe('feature');
    expect((await f.scm.getPullRequest('1'))?.mergedSha).toBe(newMain);
  });

  it('uses mergeMethod from the config', async () => {
    const squashing = await f.create({ mergeMethod: 'squash' });
    const pr = await openPr();
    await squashing.merge(pr);
    expect((await f.repo.git('rev-list', '--parents', '-n', '1', 'main')).split(' ')).toHaveLength(2);
  });

  it('advances a clean checkout of the base along with the ref', async () => {
    const pr = await openPr();
    await f.scm.merge(pr);
    expect(await f.repo.git('rev-parse', 'HEAD')).toBe(await main());
    expect(await f.repo.git('status', '--porcelain')).toBe('');
    expect(await readFile(join(f.repo.path, 'feature.txt'), 'utf8')).toBe('feature\n');
  });

  it('refuses to merge into a checked-out base with uncommitted changes', async () => {
    const pr = await openPr();
    await writeFile(join(f.repo.path, 'README.md'), '# half-done edit\n');
    const oldMain = await main();
    await expect(f.scm.merge(pr)).rejects.toMatchObject({ code: 'WORKSPACE_DIRTY', message: expect.stringContaining(f.repo.path) });
    expect(await main()).toBe(oldMain);
    expect(await readFile(join(f.repo.path, 'README.md'), 'utf8')).toBe('# half-done edit\n');
    expect((await f.scm.getPullRequest('1'))?.state).toBe('open');
  });

  it('rejects the rebase method', async () => {
    const pr = await openPr();
    await expect(f.scm.merge(pr, { method: 'rebase' })).rejects.toMatchObject({ code: 'NOT_IMPLEMENTED' });
  });
});
