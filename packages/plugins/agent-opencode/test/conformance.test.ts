// The Agent contract, checked on this plugin by the testkit's conformance suite, with screens
// captured from the real CLI (OpenCode 1.18.33).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPluginContext } from '@ao/core/plugin';
import { agentConformance } from '@ao/testkit/agent-conformance';
import plugin from '../src/index.js';

const screen = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

agentConformance('opencode', async () => {
  // An empty home: the agent finds none of its own logs.
  const home = await mkdtemp(join(tmpdir(), 'ao-agent-home-'));
  const ctx = createPluginContext({ configDir: home, env: { HOME: home, AO_HOME: join(home, '.ao') } });
  return {
    agent: await plugin.create(plugin.configSchema.parse({ dataDir: join(home, 'opencode') }), ctx),
    screens: { menus: ['opencode-permission.txt', 'opencode-question.txt'].map(screen), noMenu: ['opencode-idle.txt', 'opencode-idle-empty-box.txt', 'opencode-typed.txt'].map(screen) },
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
});

