/** Terminal: how a human attaches to a session's live terminal. */

import type { RuntimeHandle } from './runtime.js';

export interface AttachPlan {
  /** A program to run in the user's terminal with inherited stdio (`tmux attach -t …`). */
  argv?: string[];
  /** A URL to open instead (web terminal). */
  url?: string;
}

export interface Terminal {
  /**
   * Called by `ao session attach`. Returns how to attach to the given runtime handle, or throws
   * `AoError('RUNTIME_FAILED')` when this terminal can't attach to that runtime.
   */
  attach(handle: RuntimeHandle): Promise<AttachPlan>;
}
