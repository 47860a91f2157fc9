/**
 * The ssh runtime's terminal stream (`Runtime.openTerminal`): `ssh -t HOST tmux attach-session`
 * run in a local pty (node-pty), so the viewer's size reaches the remote tmux client the way a
 * resized terminal window does (ssh forwards it). Each viewer is one more tmux client on the host;
 * closing it detaches that client, never the session. It rides the host's shared connection.
 */
import { AoError, openPtyTerminal, optionalModule, type PluginContext, type PtyModule, type TerminalConnection, type TerminalOpenOptions } from '@ao/core/plugin';

/**
 * node-pty is an optional dependency (it compiles at install time); only the web terminal needs
 * it, `ao session attach` does not. Loaded on first use.
 */
const loadNodePty = optionalModule<PtyModule>(
  () => import('node-pty'),
  (error) =>
    new AoError(
      'TOOL_MISSING',
      `the web terminal of ssh sessions needs node-pty, which is not installed or did not build (${error.message}): ` +
        'install python3, make and g++ and run ./scripts/setup again; `ao session attach` works without it',
      { cause: error },
    ),
);

export async function openSshTerminal(ctx: PluginContext, argv: readonly string[], label: string, options: TerminalOpenOptions): Promise<TerminalConnection> {
  return openPtyTerminal(
    await loadNodePty(),
    {
      argv,
      cwd: ctx.paths.home,
      env: ctx.env,
      label,
      exitReason: (code) => (code === 0 ? `tmux session ${label} ended or was detached` : `the connection to ${label} ended (exit ${code})`),
    },
    options,
  );
}
