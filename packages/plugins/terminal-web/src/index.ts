/**
 * terminal-web: attach through the dashboard's web terminal (xterm.js over the daemon's
 * WebSocket), for any runtime with `openTerminal`. The way to reach a `process`-runtime session,
 * whose pty lives in the daemon.
 */
import { AoError, definePlugin, readDaemonInfo, z, type PluginContext, type Terminal } from '@ao/core/plugin';

export function createWebTerminal(ctx: Pick<PluginContext, 'paths'>): Terminal {
  return {
    async attach(handle, { sessionId, runtime }) {
      if (!runtime.openTerminal) {
        throw new AoError('RUNTIME_FAILED', `the ${handle.runtime} runtime has no web terminal (it does not implement openTerminal); use terminal: tmux`, { details: { handle } });
      }
      // A page for a program that is gone would show nothing: say so here, as terminal-tmux does.
      if (!(await runtime.isAlive(handle))) {
        throw new AoError('RUNTIME_FAILED', `session ${sessionId} is not running, so there is no terminal to show: restore it with \`ao session restore ${sessionId}\``, { details: { handle } });
      }
      const daemon = readDaemonInfo(ctx.paths);
      if (!daemon) {
        throw new AoError('DAEMON_UNAVAILABLE', 'The web terminal is served by the ao daemon, which is not running: start it with `ao start`');
      }
      // The dashboard routes by session id, whatever the runtime calls its terminal.
      const session = sessionId;
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
