import { createPluginContext } from '@ao/core/plugin';
import { createTempDir } from '@ao/testkit/temp-repo';
import { workspaceConformance } from '@ao/testkit/workspace-conformance';
import plugin from '../src/index.js';

workspaceConformance('clone', async () => {
  const tmp = await createTempDir('ao-clone-ctx-');
  const ctx = createPluginContext({ configDir: tmp.path, env: { ...process.env, AO_HOME: `${tmp.path}/home` } });
  const workspace = await plugin.create(plugin.configSchema.parse({}), ctx);
  return { workspace, cleanup: () => tmp.cleanup() };
});
