import { runDaemon } from '@ao/daemon';
import type { GlobalOptions } from './context.js';
import { outliveBrokenPipes } from './render.js';
import { loadSessions } from './sessions.js';

const VERSION = typeof __AO_VERSION__ === 'string' ? __AO_VERSION__ : '0.0.0-dev';

/**
 * `ao start --foreground`: this process becomes the daemon (`@ao/daemon`), hosting the CLI's
 * config, built-in plugins and session layer, with the dashboard of `@ao/web` mounted on it.
 */
export async function runDaemonHere(globals: GlobalOptions, options: { orchestrator: boolean }): Promise<number> {
  outliveBrokenPipes();
  const cli = await loadSessions(globals);
  const { createDashboard } = await import('@ao/web');
  return runDaemon(cli, { orchestrator: options.orchestrator, version: VERSION, dashboard: createDashboard });
}
