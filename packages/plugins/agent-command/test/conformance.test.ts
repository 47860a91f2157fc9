// The Agent contract, checked on this plugin by the testkit's conformance suite (a command agent
// reads no menus: its screens are whatever the program prints).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPluginContext } from '@ao/core/plugin';
import { agentConformance } from '@ao/testkit/agent-conformance';
import plugin from '../src/index.js';

agentConformance('command (prompt as argument)', async () => {
  // An empty home: the agent finds none of its own logs.
  const home = await mkdtemp(join(tmpdir(), 'ao-agent-home-'));
  const ctx = createPluginContext({ configDir: home, env: { HOME: home, AO_HOME: join(home, '.ao') } });
  return {
    agent: await plugin.create(plugin.configSchema.parse({ command: ['my-agent', '--verbose'] }), ctx),
    screens: {},
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
});

agentConformance('command (prompt typed in, resumable)', async () => {
  // An empty home: the agent finds none of its own logs.
  const home = await mkdtemp(join(tmpdir(), 'ao-agent-home-'));
  const ctx = createPluginContext({ configDir: home, env: { HOME: home, AO_HOME: join(home, '.ao') } });
  return {
    agent: await plugin.create(plugin.configSchema.parse({ command: ['my-agent'], prompt: 'send', resumeArgs: ['--resume', '{id}'] }), ctx),
    screens: {},
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
});

