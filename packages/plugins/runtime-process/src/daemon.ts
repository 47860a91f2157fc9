/**
 * The process runtime's part of the ao daemon (its `configureDaemon` hook): the pty host where the
 * agents' terminals live, its `/api/pty` routes, and the terminal WebSocket under them. The daemon
 * knows none of this by name; it mounts what the hook registers.
 */
import type { DaemonHost, PluginContext } from '@ao/core/plugin';
import { createPtyHost } from './host.js';
import { createPtyRouter } from './routes.js';
import { createPtyTerminalServer } from './terminal-socket.js';

export function configureProcessDaemon(daemon: DaemonHost, ctx: PluginContext): void {
  const logger = ctx.logger.child({ component: 'pty' });
  // Created at daemon start, not first use: it also ends agents orphaned by a crashed daemon.
  const host = createPtyHost({ paths: ctx.paths, logger, clock: ctx.clock });
  const terminals = createPtyTerminalServer(host, logger);
  daemon.use(createPtyRouter(host).handle);
  daemon.upgrade(terminals.upgrade);
  daemon.onClose(async () => {
    terminals.close();
    await host.shutdown();
  });
}
