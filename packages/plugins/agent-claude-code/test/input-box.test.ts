// Claude Code's input box, read from its screen: what ao checks after each delivery to see that the
// message was taken (the CLI can drop the Enter and keep the message in the box, unsent).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readClaudeInput } from '../src/index.js';

const screen = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
const rule = '─'.repeat(40);

describe('readClaudeInput', () => {
  it('reads a message left unsent in the box (2.1.197, captured in CI), not the earlier prompt drawn with ❯ above', () => {
    expect(readClaudeInput(screen('claude-unsent-message.txt'))).toBe('Which word did I ask you to remember?');
  });

  it('is empty for an idle, empty box with its footer below', () => {
    expect(readClaudeInput(screen('claude-idle-after-answer.txt'))).toBe('');
  });

  it('is undefined while a menu replaces the box, and on the start screen', () => {
    expect(readClaudeInput(screen('claude-permission.txt'))).toBeUndefined();
    expect(readClaudeInput(screen('claude-trust.txt'))).toBeUndefined();
  });

  it('reads every line of a multi-line message, and the placeholder of a long paste', () => {
    expect(readClaudeInput(['● Noted.', '', rule, '❯ first line', '  second line', rule, '  ? for shortcuts'].join('\n'))).toBe('first line\nsecond line');
    expect(readClaudeInput([rule, '❯ [Pasted text #1 +33 lines]', rule].join('\n'))).toBe('[Pasted text #1 +33 lines]');
  });

  it("reads 1.x's bordered box", () => {
    expect(readClaudeInput(['╭──────────────╮', '│ > fix it     │', '╰──────────────╯'].join('\n'))).toBe('fix it');
  });
});
