/** Terminal: how a human attaches to a session's live terminal. */

import type { Runtime, RuntimeHandle } from './runtime.js';

export interface AttachPlan {
  /** A program to run in the user's terminal with inherited stdio (`tmux attach -t …`). */
  argv?: string[];
  /** A URL to open instead (web terminal). */
  url?: string;
}

/** The session being attached to, as the terminal plugin sees it. */
export interface AttachTarget {
  /** The ao session id (what the dashboard routes by). */
  sessionId: string;
  /**
   * The runtime plugin that owns the handle: a terminal attaches through its contract
   * (`attachArgv`, `openTerminal`), never by knowing which runtime it is.
   */
  runtime: Runtime;
}

export interface Terminal {
  /**
   * Called by `ao session attach`. Returns how to attach to the given runtime handle, or throws
   * `AoError('RUNTIME_FAILED')` when this terminal can't attach to that runtime, or the terminal
   * is gone; `DAEMON_UNAVAILABLE` when it needs the daemon and none runs.
   */
  attach(handle: RuntimeHandle, target: AttachTarget): Promise<AttachPlan>;
}
