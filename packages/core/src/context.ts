import type { Clock, Exec, Logger, PluginContext, ProjectInfo } from './contracts/plugin.js';
import { systemClock } from './clock.js';
import { exec as defaultExec } from './exec.js';
import { createFileLogger } from './logging.js';
import { resolvePaths } from './paths.js';

export interface PluginContextOptions {
  configDir: string;
  env?: Readonly<Record<string, string | undefined>>;
  logger?: Logger;
  exec?: Exec;
  clock?: Clock;
  project?: ProjectInfo;
}

/** Builds the `ctx` handed to every plugin's `create`. */
export function createPluginContext(options: PluginContextOptions): PluginContext {
  const env = options.env ?? process.env;
  const paths = resolvePaths(env);
  return {
    configDir: options.configDir,
    env,
    paths,
    exec: options.exec ?? defaultExec,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? createFileLogger(paths.logs),
    ...(options.project ? { project: options.project } : {}),
  };
}
