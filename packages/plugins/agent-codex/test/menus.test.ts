// Screens captured from Codex 0.171.0 in tmux (120×40) against a scripted Responses server.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPluginContext, resolveMenuAnswer } from '@ao/core/plugin';
import { describe, expect, it } from 'vitest';
import plugin, { codexMenuKeys, readCodexMenu } from '../src/index.js';

const screen = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('Codex menus', () => {
  it('reads the command approval with its shortcuts; "n", "No", "3" and "esc" select option 3', () => {
    const menu = readCodexMenu(screen('codex-approval.txt'));
    expect(menu).toMatchObject({ kind: 'permission' });
    expect(menu?.options.map((o) => [o.label, o.shortcut])).toEqual([
      ['Yes, proceed', 'y'],
      ["Yes, and don't ask again for commands that start with `touch /tmp/ms/y-2`", 'p'],
      ['No, and tell Codex what to do differently', 'esc'],
    ]);
    for (const answer of ['n', 'No', '3', 'esc']) expect(codexMenuKeys(menu!, resolveMenuAnswer(menu!, answer))).toEqual(['3']);
    expect(codexMenuKeys(menu!, resolveMenuAnswer(menu!, 'y'))).toEqual(['1']);
  });

  it('reads the folder-trust dialog as a dialog, not the idle prompt', async () => {
    expect(readCodexMenu(screen('codex-trust.txt'))).toMatchObject({ kind: 'dialog', options: [{ label: 'Trust and continue' }, { label: 'Back to Agent Command Center' }] });
    const agent = await plugin.create(plugin.configSchema.parse({ codexHome: '/nonexistent' }), createPluginContext({ configDir: '/tmp', env: {} }));
    const report = await agent.detectActivity({ workspacePath: '/nonexistent', alive: true, screen: screen('codex-trust.txt'), msSinceScreenChange: 60_000, startedAt: 0, now: 60_000 });
    expect(report.activity).toBe('waiting_input');
    expect(report.detail).toContain('Trust and continue');
  });
});
