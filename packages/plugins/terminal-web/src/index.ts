/**
 * terminal-web: attach through the dashboard's web terminal (xterm.js over the daemon's
 * WebSocket). The only way to reach a `process`-runtime session, whose pty lives in the daemon.
 */
import { AoError, definePlugin, readDaemonInfo, z, type PluginContext, type Terminal } from '@ao/core';

export function createWebTerminal(ctx: Pick<PluginContext, 'paths'>): Terminal {
  return {
    async attach(handle) {
      const daemon = readDaemonInfo(ctx.paths);
      if (!daemon) {
        throw new AoError('DAEMON_UNAVAILABLE', 'The web terminal is served by the ao daemon, which is not running: start it with `ao start`');
      }
      // Process-runtime handles are named after their session; the dashboard routes by session id.
      const session = String(handle.data?.sessionId ?? handle.id);
      // The token sets the dashboard cookie; the hash route opens the session page.
      return { url: `${daemon.url}/?token=${daemon.token}#/s/${encodeURIComponent(session)}` };
    },
  };
}

export default definePlugin({
  name: 'web',
  slot: 'terminal',
  version: '0.1.0',
  description: "Attach in the browser: the dashboard's web terminal (needs `ao start`)",
  configSchema: z.object({}).strict(),
  create: (_config, ctx) => createWebTerminal(ctx),
});
