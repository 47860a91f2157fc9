/**
 * The tmux runtime's terminal stream (`Runtime.openTerminal`): a `tmux attach-session` client of
 * its own, run in a pty (node-pty). Each viewer is one more tmux client; closing it detaches that
 * client, never the session. tmux redraws the whole screen for a new client, so the first output
 * is the current screen.
 */
import { AoError, openPtyTerminal, optionalModule, type PluginContext, type PtyModule, type TerminalConnection, type TerminalOpenOptions } from '@ao/core/plugin';
import { attachArgv } from './tmux.js';

/**
 * node-pty is an optional dependency: it compiles at install time, and a machine without a
 * compiler still installs ao; only the web terminal of tmux sessions needs it. Loaded on first use.
 */
const loadNodePty = optionalModule<PtyModule>(
  () => import('node-pty'),
  (error) =>
    new AoError(
      'TOOL_MISSING',
      `the web terminal of tmux sessions needs node-pty, which is not installed or did not build (${error.message}): ` +
        'install python3, make and g++ and run ./scripts/setup again; `ao session attach` works without it',
      { cause: error },
    ),
);

/** Attaches a new tmux client of session `name` in a pty sized `cols`×`rows`. */
export async function openTmuxTerminal(ctx: PluginContext, name: string, options: TerminalOpenOptions): Promise<TerminalConnection> {
  return openPtyTerminal(
    await loadNodePty(),
    {
      argv: attachArgv(name),
      cwd: ctx.paths.home,
      env: ctx.env,
      label: `tmux session ${name}`,
      // tmux prints "[detached …]" or "[exited]"/"[lost tty]"; the viewer only needs to know it ended.
      exitReason: (code) => (code === 0 ? `tmux session ${name} ended or was detached` : `tmux attach-session for ${name} ended (exit ${code})`),
    },
    options,
  );
}
