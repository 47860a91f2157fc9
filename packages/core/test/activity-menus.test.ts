import { describe, expect, it } from 'vitest';
import { AoError, keyBytes, matchMenuAnswer, readNumberedMenu, resolveMenuAnswer, type AgentMenu } from '../src/index.js';

const claudePermission: AgentMenu = {
  kind: 'permission',
  prompt: 'Do you want to proceed?',
  options: [
    { number: 1, label: 'Yes' },
    { number: 2, label: 'Yes, and always allow access to ms/ from this project' },
    { number: 3, label: 'No' },
  ],
};
const codexApproval: AgentMenu = {
  kind: 'permission',
  prompt: 'Would you like to run the following command?',
  options: [
    { number: 1, label: 'Yes, proceed', shortcut: 'y' },
    { number: 2, label: "Yes, and don't ask again for commands that start with `touch x`", shortcut: 'p' },
    { number: 3, label: 'No, and tell Codex what to do differently', shortcut: 'esc' },
  ],
};
const opencodePermission: AgentMenu = {
  kind: 'permission',
  prompt: 'Access external directory /tmp/ms',
  options: [
    { number: 1, label: 'Allow once' },
    { number: 2, label: 'Allow always' },
    { number: 3, label: 'Reject', shortcut: 'esc' },
  ],
};
const apiKey: AgentMenu = { kind: 'dialog', prompt: 'Do you want to use this API key?', options: [{ number: 1, label: 'Yes' }, { number: 2, label: 'No (recommended)' }] };

const pick = (menu: AgentMenu, answer: string) => matchMenuAnswer(menu, answer)?.number;

describe('matching an answer to a menu option', () => {
  it('a "no" in any form picks the refusing option, never the highlighted "Yes"', () => {
    for (const answer of ['3', 'No', 'no', 'n', 'N.', 'deny', 'reject']) expect(pick(claudePermission, answer), answer).toBe(3);
    for (const answer of ['3', 'n', 'No', 'esc', 'reject']) expect(pick(codexApproval, answer), answer).toBe(3);
    for (const answer of ['3', 'n', 'no', 'Reject', 'reject', 'esc']) expect(pick(opencodePermission, answer), answer).toBe(3);
    for (const answer of ['2', 'n', 'No', 'no (recommended)']) expect(pick(apiKey, answer), answer).toBe(2);
  });

  it('a "yes" picks the first, least permissive yes; numbers, shortcuts and labels pick their own option', () => {
    expect(pick(claudePermission, 'y')).toBe(1);
    expect(pick(claudePermission, 'Yes')).toBe(1);
    expect(pick(claudePermission, '2')).toBe(2);
    expect(pick(codexApproval, 'y')).toBe(1);
    expect(pick(codexApproval, 'p')).toBe(2);
    expect(pick(opencodePermission, 'allow')).toBe(1);
    expect(pick(opencodePermission, 'Allow always')).toBe(2);
    expect(pick(opencodePermission, 'allow a')).toBe(2);
  });

  it('an answer that names no option, or names two, matches nothing', () => {
    expect(pick(claudePermission, 'maybe')).toBeUndefined();
    expect(pick(claudePermission, '4')).toBeUndefined();
    expect(pick(claudePermission, '')).toBeUndefined();
    expect(pick(opencodePermission, 'allo')).toBeUndefined(); // Allow once or Allow always?
    expect(pick(claudePermission, 'please run the tests instead')).toBeUndefined();
  });

  it('resolveMenuAnswer refuses with the options listed and says nothing was sent', () => {
    let error: unknown;
    try {
      resolveMenuAnswer(claudePermission, 'maybe', 'app-3');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AoError);
    const e = error as AoError;
    expect(e.code).toBe('ANSWER_NOT_IN_MENU');
    expect(e.exitCode).toBe(1);
    expect(e.message).toContain('1. Yes · 2. Yes, and always allow access to ms/ from this project · 3. No');
    expect(e.message).toContain('ao send app-3 --keys');
    expect(e.message).toContain('Nothing was sent');
  });
});

describe('keys', () => {
  it('names and single characters become terminal bytes; words are refused', () => {
    expect(keyBytes('Enter')).toBe('\r');
    expect(keyBytes('esc')).toBe('\u001b');
    expect(keyBytes('Down')).toBe('\u001b[B');
    expect(keyBytes('3')).toBe('3');
    expect(() => keyBytes('yes')).toThrow(/not a key/);
    expect(() => keyBytes('\u001b')).toThrow(/not a key/);
  });
});

describe('readNumberedMenu', () => {
  it('reads options with descriptions between them and the question above', () => {
    const screen = ['Which color?', '', '❯ 1. Red', '     warm', '  2. Blue', '     cool', '', 'Enter to select · Esc to cancel'].join('\n');
    expect(readNumberedMenu(screen, 'question', { cursor: '❯' })).toEqual({
      kind: 'question',
      prompt: 'Which color?',
      options: [
        { number: 1, label: 'Red' },
        { number: 2, label: 'Blue' },
      ],
    });
  });

  it('a numbered list without the CLI cursor or footer, or far above the bottom, is no menu', () => {
    expect(readNumberedMenu('Steps:\n1. Fix\n2. Test\n> ', 'question', { cursor: '❯' })).toBeUndefined();
    const old = ['❯ 1. Yes', '  2. No', ...Array.from({ length: 10 }, (_, i) => `line ${i}`)].join('\n');
    expect(readNumberedMenu(old, 'question', { cursor: '❯' })).toBeUndefined();
  });
});
