import { describe, expect, it } from 'vitest';
import { branchNameForIssue, MAX_BRANCH_LENGTH, slugify } from '../src/index.js';

/** The parts of `git check-ref-format` that a generated name could break. */
function isSafeRefComponent(name: string): boolean {
  return (
    name.length > 0 &&
    !name.startsWith('-') &&
    !name.startsWith('.') &&
    !name.endsWith('.') &&
    !name.endsWith('.lock') &&
    !name.includes('..') &&
    !name.includes('@{') &&
    !/[\s~^:?*[\\\x00-\x1f\x7f/]/.test(name)
  );
}

describe('slugify', () => {
  it('lower-cases, folds accents and joins words with single dashes', () => {
    expect(slugify('Fix: Login — fails with Ümlauts!')).toBe('fix-login-fails-with-umlauts');
    expect(slugify('  --Hello,   World--  ')).toBe('hello-world');
    expect(slugify('v1.2 ../etc/passwd @{u} ~^:?*[')).toBe('v1-2-etc-passwd-u');
  });

  it('returns an empty string for a title without letters or digits', () => {
    expect(slugify('!!! ??? 🚀')).toBe('');
  });

  it('cuts long titles at a word boundary without a trailing dash', () => {
    const slug = slugify('Refactor the session manager so that spawning is idempotent across restarts', 30);
    expect(slug.length).toBeLessThanOrEqual(30);
    expect(slug).toBe('refactor-the-session-manager');
  });
});

describe('branchNameForIssue', () => {
  it('is <id>-<slug>', () => {
    expect(branchNameForIssue({ id: '42', title: 'Fix login redirect' })).toBe('42-fix-login-redirect');
  });

  it('stays within the length limit and keeps the id', () => {
    const name = branchNameForIssue({ id: '1234', title: 'A very long title '.repeat(10) });
    expect(name.length).toBeLessThanOrEqual(MAX_BRANCH_LENGTH);
    expect(name.startsWith('1234-a-very-long-title')).toBe(true);
  });

  it('is a safe git ref for hostile titles and ids from other trackers', () => {
    const cases = [
      { id: '#3', title: '.hidden..lock' },
      { id: 'PROJ-7', title: 'Use @{upstream} and ~/x^y:z?*[' },
      { id: '5', title: '🚀🚀🚀' },
      { id: '', title: '' },
      { id: '6', title: 'ends with.lock' },
    ];
    const names = cases.map(branchNameForIssue);
    expect(names).toEqual(['3-hidden-lock', 'proj-7-use-upstream-and-x-y-z', '5', 'issue', '6-ends-with-lock']);
    for (const name of names) expect(isSafeRefComponent(name), name).toBe(true);
  });
});
