// Screens captured from Claude Code 2.1.197 in tmux (120×40) against a scripted model server,
// except `claude-reply-numbered-list.txt`, written by hand as a reply that must not read as a menu.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPluginContext, resolveMenuAnswer } from '@ao/core/plugin';
import { describe, expect, it } from 'vitest';
import plugin, { claudeMenuKeys, readClaudeMenu } from '../src/index.js';

const screen = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('Claude Code menus', () => {
  it('reads the Bash permission prompt; "No", "3" and "n" select option 3 with the key 3', () => {
    const menu = readClaudeMenu(screen('claude-permission.txt'));
    expect(menu).toMatchObject({ kind: 'permission', prompt: 'Do you want to proceed?' });
    expect(menu?.options.map((o) => o.label)).toEqual(['Yes', 'Yes, and always allow access to ms/ from this project', 'No']);
    for (const answer of ['No', '3', 'n']) expect(claudeMenuKeys(menu!, resolveMenuAnswer(menu!, answer))).toEqual(['3']);
  });

  it('reads the AskUserQuestion menu with its question and every option', () => {
    const menu = readClaudeMenu(screen('claude-question.txt'));
    expect(menu).toMatchObject({ kind: 'question', prompt: 'Which color?' });
    expect(menu?.options.map((o) => o.label)).toEqual(['Red', 'Blue', 'Type something.', 'Chat about this']);
    expect(claudeMenuKeys(menu!, resolveMenuAnswer(menu!, 'Blue'))).toEqual(['2']);
  });

  it('reads the API-key and folder-trust dialogs as dialogs', () => {
    const key = readClaudeMenu(screen('claude-apikey.txt'));
    expect(key).toMatchObject({ kind: 'dialog', prompt: 'Do you want to use this API key?' });
    expect(key?.options.map((o) => o.label)).toEqual(['Yes', 'No (recommended)']);
    expect(readClaudeMenu(screen('claude-trust.txt'))).toMatchObject({ kind: 'dialog' });
  });

  it('sees no menu at the prompt, after an answered one, or in a numbered reply', () => {
    expect(readClaudeMenu(screen('claude-idle-after-answer.txt'))).toBeUndefined();
    expect(readClaudeMenu(screen('claude-reply-numbered-list.txt'))).toBeUndefined();
  });

  it('activity: menus and dialogs are waiting_input (the question shown), the 2.x ❯ prompt is idle', async () => {
    const agent = await plugin.create(plugin.configSchema.parse({ claudeHome: '/nonexistent' }), createPluginContext({ configDir: '/tmp', env: {} }));
    const probe = (s: string) => ({ workspacePath: '/nonexistent', alive: true, screen: s, msSinceScreenChange: 60_000, startedAt: 0, now: 60_000 });
    for (const name of ['claude-permission.txt', 'claude-question.txt', 'claude-apikey.txt', 'claude-trust.txt']) {
      expect((await agent.detectActivity(probe(screen(name)))).activity, name).toBe('waiting_input');
    }
    expect((await agent.detectActivity(probe(screen('claude-question.txt')))).detail).toBe('asks: Which color? (1. Red · 2. Blue · 3. Type something. · 4. Chat about this)');
    expect((await agent.detectActivity(probe(screen('claude-idle-after-answer.txt')))).activity).toBe('idle');
  });
});
