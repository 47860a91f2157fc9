import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, resolvePaths, silentLogger, systemClock, type PluginContext, type Runtime } from '@ao/core/plugin';
import plugin from '../src/index.js';

/** A real tmux runtime over a fresh AO_HOME; `cleanup` removes the temp dirs. */
export async function createTmuxRuntimeForTest(config: Record<string, unknown> = {}): Promise<{
  runtime: Runtime;
  ctx: PluginContext;
  home: string;
  cwd: string;
  cleanup(): Promise<void>;
}> {
  const root = await realpath(await mkdtemp(join(tmpdir(), 'ao-runtime-tmux-')));
  const home = join(root, 'home');
  const cwd = join(root, 'work');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(cwd, { recursive: true });
  const env = { ...process.env, AO_HOME: home };
  const ctx: PluginContext = { logger: silentLogger, paths: resolvePaths(env), exec, clock: systemClock, env, configDir: root };
  const runtime = await plugin.create(plugin.configSchema.parse(config), ctx);
  return { runtime, ctx, home, cwd, cleanup: () => rm(root, { recursive: true, force: true }) };
}
