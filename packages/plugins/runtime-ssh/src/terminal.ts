/**
 * The ssh runtime's terminal stream (`Runtime.openTerminal`): `ssh -t HOST tmux attach-session`
 * run in a local pty (node-pty), so the viewer's size reaches the remote tmux client the way a
 * resized terminal window does (ssh forwards it). Each viewer is one more tmux client on the host;
 * closing it detaches that client, never the session. It rides the host's shared connection.
 */
import { AoError, type PluginContext, type TerminalConnection, type TerminalOpenOptions } from '@ao/core';
import type * as nodePty from 'node-pty';

/**
 * node-pty is an optional dependency (it compiles at install time); only the web terminal needs
 * it, `ao session attach` does not. Loaded on first use.
 */
let nodePtyModule: Promise<typeof nodePty> | undefined;
function loadNodePty(): Promise<typeof nodePty> {
  nodePtyModule ??= import('node-pty').catch((error: unknown) => {
    nodePtyModule = undefined;
    throw new AoError(
      'TOOL_MISSING',
      `the web terminal of ssh sessions needs node-pty, which is not installed or did not build (${(error as Error).message}): ` +
        'install python3, make and g++ and run ./scripts/setup again; `ao session attach` works without it',
      { cause: error },
    );
  });
  return nodePtyModule;
}

function clientEnv(env: PluginContext['env']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && key !== 'TMUX' && key !== 'TMUX_PANE') out[key] = value;
  out.TERM = 'xterm-256color';
  return out;
}

export async function openSshTerminal(ctx: PluginContext, argv: readonly string[], label: string, options: TerminalOpenOptions): Promise<TerminalConnection> {
  const pty = await loadNodePty();
  const [file, ...args] = argv as [string, ...string[]];
  let term: nodePty.IPty;
  try {
    term = pty.spawn(file, args, { name: 'xterm-256color', cols: options.cols, rows: options.rows, cwd: ctx.paths.home, env: clientEnv(ctx.env) });
  } catch (error) {
    throw new AoError('RUNTIME_FAILED', `cannot attach to ${label}: ${(error as Error).message}`, { cause: error });
  }
  let open = true;
  const dataListener = term.onData((data) => {
    if (open) options.onData(Buffer.from(data, 'utf8'));
  });
  const exitListener = term.onExit(({ exitCode }) => {
    if (!open) return;
    open = false;
    options.onExit({ reason: exitCode === 0 ? `tmux session ${label} ended or was detached` : `the connection to ${label} ended (exit ${exitCode})` });
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
