// Codex's composer, read from its screen (captured from Codex 0.171.0 run by ao in tmux): what ao
// checks after each delivery to see that the message was taken.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPluginContext } from '@ao/core/plugin';
import plugin, { readCodexInput } from '../src/index.js';

const screen = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('readCodexInput', () => {
  it('reads the message typed in the composer, not the earlier prompt drawn with › above', () => {
    expect(readCodexInput(screen('codex-typed.txt'))).toBe('Which word did I ask you to remember?');
    expect(readCodexInput(screen('codex-typed-two-lines.txt'))).toBe('Which word did I ask you to remember?\nSecond line here');
  });

  it('reads the placeholder of an empty composer (no message in it)', () => {
    expect(readCodexInput(screen('codex-idle-empty-box.txt'))).toBe('Ask Codex to do anything');
  });

  it('is undefined while a menu shows, whose cursor is a › too', () => {
    expect(readCodexInput(screen('codex-approval.txt'))).toBeUndefined();
    expect(readCodexInput(screen('codex-trust.txt'))).toBeUndefined();
  });
});

describe('the start screen (Codex 0.171.0, before any turn)', () => {
  it('is idle at its composer: the braille logo above it is not a spinner', async () => {
    const agent = await plugin.create(plugin.configSchema.parse({}), createPluginContext({ configDir: '/nonexistent', env: { HOME: '/nonexistent', AO_HOME: '/nonexistent/.ao', CODEX_HOME: '/nonexistent/.codex' } }));
    const report = await agent.detectActivity({ workspacePath: '/nonexistent/ws', alive: true, screen: screen('codex-start.txt'), startedAt: Date.now(), now: Date.now(), msSinceScreenChange: 5_000 });
    expect(report).toMatchObject({ activity: 'idle' });
    expect(readCodexInput(screen('codex-start.txt'))).toBe('Ask Codex to do anything');
  });
});
