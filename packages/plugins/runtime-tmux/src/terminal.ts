/**
 * The tmux runtime's terminal stream (`Runtime.openTerminal`): a `tmux attach-session` client of
 * its own, run in a pty (node-pty). Each viewer is one more tmux client; closing it detaches that
 * client, never the session. tmux redraws the whole screen for a new client, so the first output
 * is the current screen.
 */
import { AoError, type PluginContext, type TerminalConnection, type TerminalOpenOptions } from '@ao/core';
import type * as nodePty from 'node-pty';
import { attachArgv } from './tmux.js';

/**
 * node-pty is an optional dependency: it compiles at install time, and a machine without a
 * compiler still installs ao; only the web terminal of tmux sessions needs it. Loaded on first use.
 */
let nodePtyModule: Promise<typeof nodePty> | undefined;
function loadNodePty(): Promise<typeof nodePty> {
  nodePtyModule ??= import('node-pty').catch((error: unknown) => {
    nodePtyModule = undefined;
    throw new AoError(
      'TOOL_MISSING',
      `the web terminal of tmux sessions needs node-pty, which is not installed or did not build (${(error as Error).message}): ` +
        'install python3, make and g++ and run ./scripts/setup again; `ao session attach` works without it',
      { cause: error },
    );
  });
  return nodePtyModule;
}

/** The environment of the attach client: ao's own, never "inside tmux" (it would refuse to nest). */
function clientEnv(env: PluginContext['env']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && key !== 'TMUX' && key !== 'TMUX_PANE') out[key] = value;
  }
  out.TERM = 'xterm-256color';
  return out;
}

/** Attaches a new tmux client of session `name` in a pty sized `cols`×`rows`. */
export async function openTmuxTerminal(ctx: PluginContext, name: string, options: TerminalOpenOptions): Promise<TerminalConnection> {
  const pty = await loadNodePty();
  const [file, ...args] = attachArgv(name) as [string, ...string[]];
  let term: nodePty.IPty;
  try {
    term = pty.spawn(file, args, { name: 'xterm-256color', cols: options.cols, rows: options.rows, cwd: ctx.paths.home, env: clientEnv(ctx.env) });
  } catch (error) {
    throw new AoError('RUNTIME_FAILED', `cannot attach to tmux session ${name}: ${(error as Error).message}`, { cause: error });
  }
  let open = true;
  const dataListener = term.onData((data) => {
    if (open) options.onData(Buffer.from(data, 'utf8'));
  });
  const exitListener = term.onExit(({ exitCode }) => {
    if (!open) return;
    open = false;
    // tmux prints "[detached …]" or "[exited]"/"[lost tty]"; the viewer only needs to know it ended.
    options.onExit({ reason: exitCode === 0 ? `tmux session ${name} ended or was detached` : `tmux attach-session for ${name} ended (exit ${exitCode})` });
  });
  return {
    write(data) {
      if (open) term.write(typeof data === 'string' ? data : Buffer.from(data));
    },
    resize(cols, rows) {
      if (open) term.resize(cols, rows);
    },
    close() {
      if (!open) return;
      open = false;
      dataListener.dispose();
      exitListener.dispose();
      try {
        term.kill();
      } catch {
        // already exited
      }
    },
  };
}
