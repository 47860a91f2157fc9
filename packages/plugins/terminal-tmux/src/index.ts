import { AoError, definePlugin, z, type PluginContext, type Terminal } from '@ao/core';
import { attachArgv, hasSession, RUNTIME_NAME } from '@ao/plugin-runtime-tmux';

/** Attaching means running tmux itself in the user's terminal; ao only says which session. */
export function createTmuxTerminal(ctx: PluginContext): Terminal {
  return {
    async attach(handle) {
      if (handle.runtime !== RUNTIME_NAME) {
        throw new AoError(
          'RUNTIME_FAILED',
          `the tmux terminal can only attach to tmux sessions, not to runtime "${handle.runtime}"; configure the terminal that matches it (e.g. terminal: web)`,
          { details: { handle } },
        );
      }
      if (!(await hasSession(ctx.exec, handle.id))) {
        throw new AoError(
          'RUNTIME_FAILED',
          `tmux session ${handle.id} is gone; restore the session with \`ao session restore\` first`,
          { details: { handle } },
        );
      }
      // Inside tmux, attach-session would nest; switch the current client instead.
      const insideTmux = Boolean(ctx.env.TMUX);
      return { argv: attachArgv(handle.id, { insideTmux }) };
    },
  };
}

export default definePlugin({
  name: 'tmux',
  slot: 'terminal',
  version: '0.1.0',
  description: 'Attach to a session with `tmux attach-session`',
  configSchema: z.object({}).strict(),
  create: (_config, ctx) => createTmuxTerminal(ctx),
});
