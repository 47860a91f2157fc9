// The Agent contract, checked on this plugin by the testkit's conformance suite (no real screens:
// Aider cannot be installed here, see docs/agents.md).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPluginContext } from '@ao/core/plugin';
import { agentConformance } from '@ao/testkit/agent-conformance';
import plugin from '../src/index.js';

agentConformance('aider', async () => {
  // An empty home: the agent finds none of its own logs.
  const home = await mkdtemp(join(tmpdir(), 'ao-agent-home-'));
  const ctx = createPluginContext({ configDir: home, env: { HOME: home, AO_HOME: join(home, '.ao') } });
  return {
    agent: await plugin.create(plugin.configSchema.parse({}), ctx),
    screens: {},
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
});

