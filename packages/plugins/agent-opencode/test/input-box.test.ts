// OpenCode's input box, read from its screen (captured from OpenCode 1.18.33 run by ao in tmux):
// what ao checks after each delivery to see that the message was taken.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOpencodeInput } from '../src/index.js';

const screen = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('readOpencodeInput', () => {
  it('reads the message typed in the box, without the sidebar beside it or the prompt above it', () => {
    expect(readOpencodeInput(screen('opencode-typed.txt'))).toBe('Which word did I ask you to remember?');
    expect(readOpencodeInput(screen('opencode-typed-two-lines.txt'))).toBe('Which word did I ask you to remember?\nSecond line here');
  });

  it('is empty for an empty box in a conversation, the placeholder on the start screen', () => {
    expect(readOpencodeInput(screen('opencode-idle.txt'))).toBe('');
    expect(readOpencodeInput(screen('opencode-idle-empty-box.txt'))).toBe('');
    expect(readOpencodeInput(screen('opencode-home.txt'))).toBe('Ask anything… "Fix a TODO in the codebase"');
  });

  it('is undefined while a menu shows', () => {
    expect(readOpencodeInput(screen('opencode-permission.txt'))).toBeUndefined();
    expect(readOpencodeInput(screen('opencode-question.txt'))).toBeUndefined();
  });
});
