import { join } from 'node:path';
import { createPluginContext, silentLogger } from '@ao/core/plugin';
import { createTempDir } from '@ao/testkit/temp-repo';
import { trackerConformance } from '@ao/testkit/tracker-conformance';
import plugin from '../src/index.js';

trackerConformance('local', async () => {
  const dir = await createTempDir('ao-tracker-local-conf-');
  const ctx = createPluginContext({
    configDir: dir.path,
    env: { AO_HOME: join(dir.path, 'ao-home') },
    logger: silentLogger,
    project: { name: 'app', path: dir.path, defaultBranch: 'main' },
  });
  return { tracker: await plugin.create(plugin.configSchema.parse({}), ctx), cleanup: () => dir.cleanup() };
});
