import {
  createPluginRegistry,
  ensureDataDirSync,
  loadConfig,
  resolveConfig,
  resolvePaths,
  type AoPaths,
  type PluginRegistry,
  type ResolvedConfig,
} from '@ao/core';
import { BUILTIN_PLUGINS } from './builtins.js';

/** Options every command gets from the global flags. */
export interface GlobalOptions {
  config?: string;
  verbose?: boolean;
}

export interface CliContext {
  config: ResolvedConfig;
  registry: PluginRegistry;
  paths: AoPaths;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function createRegistry(): PluginRegistry {
  return createPluginRegistry(BUILTIN_PLUGINS);
}

/** Loads and fully validates the config (every plugin section by its plugin's schema). */
export async function loadCliContext(globals: GlobalOptions): Promise<CliContext> {
  const env = process.env;
  const cwd = process.cwd();
  const loaded = loadConfig({ cwd, ...(globals.config ? { file: globals.config } : {}), env });
  const registry = createRegistry();
  const config = await resolveConfig(loaded, registry, { env });
  for (const warning of config.warnings) process.stderr.write(`ao: warning: ${warning}\n`);
  const paths = resolvePaths(env);
  try {
    // Data dirs of older versions were 0755: tighten the root, which guards everything below it.
    ensureDataDirSync(paths.home);
  } catch {
    // Not ours to change (read-only, another owner): the command's own writes will say so.
  }
  return { config, registry, paths, env, cwd };
}
