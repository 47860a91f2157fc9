// Screens captured from OpenCode 1.18.33 in tmux (120×40) against a scripted Chat Completions server.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPluginContext, resolveMenuAnswer } from '@ao/core/plugin';
import { describe, expect, it } from 'vitest';
import plugin, { opencodeMenuKeys, readOpencodeMenu } from '../src/index.js';

const screen = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
const probe = (s: string) => ({ workspacePath: '/nonexistent', alive: true, screen: s, msSinceScreenChange: 60_000, startedAt: 0, now: 60_000 });

describe('OpenCode menus', () => {
  it('reads the permission row; "Reject", "3", "n" are Escape, which rejects whatever is highlighted', () => {
    const menu = readOpencodeMenu(screen('opencode-permission.txt'));
    expect(menu).toMatchObject({ kind: 'permission', prompt: 'Access external directory /tmp/ms' });
    expect(menu?.options.map((o) => o.label)).toEqual(['Allow once', 'Allow always', 'Reject']);
    for (const answer of ['Reject', '3', 'n', 'no']) expect(opencodeMenuKeys(menu!, resolveMenuAnswer(menu!, answer))).toEqual(['Escape']);
    expect(opencodeMenuKeys(menu!, resolveMenuAnswer(menu!, 'Allow once'))).toEqual(['Enter']);
  });

  it('reads the question menu; the second option is the digit 2', () => {
    const menu = readOpencodeMenu(screen('opencode-question.txt'));
    expect(menu).toMatchObject({ kind: 'question', prompt: 'Which color?' });
    expect(menu?.options.map((o) => o.label)).toEqual(['Red', 'Blue', 'Type your own answer']);
    expect(opencodeMenuKeys(menu!, resolveMenuAnswer(menu!, '2'))).toEqual(['2']);
  });

  it('activity: a question menu or permission prompt is waiting_input, not idle', async () => {
    const agent = await plugin.create(plugin.configSchema.parse({ dataDir: '/nonexistent' }), createPluginContext({ configDir: '/tmp', env: {} }));
    expect((await agent.detectActivity(probe(screen('opencode-question.txt')))).activity).toBe('waiting_input');
    expect((await agent.detectActivity(probe(screen('opencode-permission.txt')))).activity).toBe('waiting_input');
  });

  it('activity: a blank screen while OpenCode starts is not idle', async () => {
    const agent = await plugin.create(plugin.configSchema.parse({ dataDir: '/nonexistent' }), createPluginContext({ configDir: '/tmp', env: {} }));
    expect((await agent.detectActivity(probe('\n\n\n'))).activity).not.toBe('idle');
  });
});
