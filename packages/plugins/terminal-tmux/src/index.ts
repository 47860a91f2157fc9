/**
 * terminal-tmux (`terminal: tmux`): attach in the user's own terminal by running the command the
 * session's runtime gives (`Runtime.attachArgv`): `tmux attach-session` for the tmux runtime,
 * `ssh -t … tmux attach` for a remote one. It knows the Runtime contract, not any runtime.
 */
import { AoError, definePlugin, z, type Terminal } from '@ao/core/plugin';

export function createNativeTerminal(): Terminal {
  return {
    async attach(handle, { runtime }) {
      if (!runtime.attachArgv) {
        throw new AoError(
          'RUNTIME_FAILED',
          `the ${handle.runtime} runtime has no terminal to attach to from a shell; use the web terminal (terminal: web, then \`ao session attach\` prints its URL)`,
          { details: { handle } },
        );
      }
      // The runtime throws RUNTIME_FAILED when the terminal is gone, saying how to restore it.
      const argv = await runtime.attachArgv(handle);
      if (argv.length === 0) throw new AoError('RUNTIME_FAILED', `the ${handle.runtime} runtime gave no command to attach to ${handle.id}`, { details: { handle } });
      return { argv };
    },
  };
}

export default definePlugin({
  name: 'tmux',
  slot: 'terminal',
  version: '0.2.0',
  description: "Attach in your own terminal with the runtime's attach command (`tmux attach-session`)",
  configSchema: z.object({}).strict(),
  create: () => createNativeTerminal(),
});
