/**
 * A terminal stream (`Runtime.openTerminal`) from a client program run in a pseudo-terminal:
 * `tmux attach-session`, `ssh -t HOST tmux attach-session`, … One implementation for every
 * runtime that attaches a viewer by running a program. The pty library (node-pty) is the
 * plugin's optional dependency, passed in: core does not depend on it.
 */
import { AoError } from './errors.js';
import type { TerminalConnection, TerminalOpenOptions } from './contracts/runtime.js';

/** The parts of a node-pty process this uses. */
export interface PtyProcess {
  onData(listener: (data: string) => void): { dispose(): void };
  onExit(listener: (event: { exitCode: number }) => void): { dispose(): void };
  write(data: string | Buffer): void;
  resize(cols: number, rows: number): void;
  kill(): void;
}

/** The parts of the node-pty module this uses. */
export interface PtyModule {
  spawn(file: string, args: string[], options: { name: string; cols: number; rows: number; cwd: string; env: Record<string, string> }): PtyProcess;
}

/**
 * A loader for an optional dependency, imported on first use and cached; when it is missing or
 * did not build, `missing(error)` says what to do, and the next call tries again.
 */
export function optionalModule<T>(importer: () => Promise<T>, missing: (error: Error) => Error): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= importer().catch((error: unknown) => {
      loaded = undefined;
      throw missing(error as Error);
    });
    return loaded;
  };
}

/** The environment of an attach client: ao's own, never "inside tmux" (tmux refuses to nest). */
export function attachClientEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && key !== 'TMUX' && key !== 'TMUX_PANE') out[key] = value;
  out.TERM = 'xterm-256color';
  return out;
}

export interface PtyTerminalSpec {
  /** The client program and its arguments. */
  argv: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Names what is attached, in errors ("tmux session app-1"). */
  label: string;
  /** Why the viewer ended, from the client's exit code. */
  exitReason(exitCode: number): string;
}

/** Runs `spec.argv` in a pty sized as asked and bridges it to a `TerminalConnection`. */
export function openPtyTerminal(pty: PtyModule, spec: PtyTerminalSpec, options: TerminalOpenOptions): TerminalConnection {
  const [file, ...args] = spec.argv as [string, ...string[]];
  let term: PtyProcess;
  try {
    term = pty.spawn(file, args, { name: 'xterm-256color', cols: options.cols, rows: options.rows, cwd: spec.cwd, env: attachClientEnv(spec.env) });
  } catch (error) {
    throw new AoError('RUNTIME_FAILED', `cannot attach to ${spec.label}: ${(error as Error).message}`, { cause: error });
  }
  let open = true;
  const dataListener = term.onData((data) => {
    if (open) options.onData(Buffer.from(data, 'utf8'));
  });
  const exitListener = term.onExit(({ exitCode }) => {
    if (!open) return;
    open = false;
    options.onExit({ reason: spec.exitReason(exitCode) });
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
