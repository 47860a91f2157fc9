import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createPluginContext, silentLogger } from '@ao/core/plugin';
import { scmConformance } from '@ao/testkit/scm-conformance';
import { createTempDir, createTempRepo } from '@ao/testkit/temp-repo';
import plugin from '../src/index.js';

scmConformance('local', async () => {
  const repo = await createTempRepo({ files: { 'README.md': '# app\n' } });
  const home = await createTempDir('ao-scm-local-conf-');
  const ctx = createPluginContext({
    configDir: home.path,
    env: { ...process.env, AO_HOME: join(home.path, 'ao-home') },
    logger: silentLogger,
    project: { name: 'app', path: repo.path, defaultBranch: 'main' },
  });
  return {
    scm: await plugin.create(plugin.configSchema.parse({}), ctx),
    project: 'app',
    baseBranch: 'main',
    // A worktree per branch, as the worktree workspace gives each session, with one commit in it.
    async prepareBranch(branch) {
      const ws = join(home.path, 'ws', branch.replace(/\//g, '-'));
      await repo.git('worktree', 'add', '--quiet', '-b', branch, ws, 'main');
      const file = `${branch.replace(/\//g, '-')}.txt`;
      await mkdir(ws, { recursive: true });
      await writeFile(join(ws, file), `work on ${branch}\n`);
      await repo.git('-C', ws, 'add', file);
      await repo.git('-C', ws, 'commit', '--quiet', '-m', `work on ${branch}`);
      return { branch, workspacePath: ws };
    },
    async cleanup() {
      await repo.cleanup();
      await home.cleanup();
    },
  };
});
