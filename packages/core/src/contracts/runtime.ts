/**
 * Runtime: where an agent process lives (a tmux session, a pty hosted by the daemon…).
 * A runtime starts a process, tells whether it is alive, types text into it and reads its screen,
 * and may open its terminal as a byte stream (`openTerminal`) for the web terminal or any other.
 */

/**
 * A serialisable reference to a running process, stored in the session record so any later
 * `ao` process (or a restarted daemon) can find it again. Must be plain JSON.
 */
export interface RuntimeHandle {
  /** Name of the runtime plugin that created it. */
  runtime: string;
  /** The runtime's own id (e.g. the tmux session name). */
  id: string;
  /** Anything else the runtime needs to find the process again (pid, socket path…). */
  data?: Record<string, string | number | boolean | null>;
}

export interface RuntimeStartOptions {
  /** The ao session id; runtimes derive their own unique names from it. */
  sessionId: string;
  /** Working directory of the process (the session's workspace). */
  cwd: string;
  /** Program and arguments; never joined into a shell string. */
  argv: readonly string[];
  /** Extra environment variables for the process. */
  env?: Record<string, string>;
  /** Initial terminal size. */
  cols?: number;
  rows?: number;
}

export interface SendTextOptions {
  /** Press Enter after the text so the agent receives it as one submission. Default true. */
  submit?: boolean;
  /** Wrap the text in bracketed-paste markers so newlines don't submit early. Default true. */
  bracketedPaste?: boolean;
  /**
   * Given by ao for every message it delivers (its `message.sending` event names it). A runtime
   * with `deliveryStatus` keeps a receipt of this id, made together with the paste and the submit
   * (all or nothing), so that after a crash ao can ask whether the message arrived.
   */
  deliveryId?: string;
  /**
   * Pause between the paste and the Enter that submits it, for agents whose terminal UI takes a
   * paste asynchronously and drops an Enter that arrives with it (see `Agent.submitDelayMs`). A
   * runtime that pastes and submits in one all-or-nothing step keeps the pause inside that step.
   */
  submitDelayMs?: number;
}

/**
 * Whether a delivery whose sender died arrived: `delivered` (pasted and submitted),
 * `not-delivered` (certainly not, and nothing of it will arrive later: ao sends it again) or
 * `unknown` (ao tells a human instead of guessing).
 */
export type DeliveryStatus = 'delivered' | 'not-delivered' | 'unknown';

const PASTE_MARKER = /\x1b\[20[01]~/g;

/**
 * `text` with the ESC removed from every bracketed-paste marker (`ESC[200~`, `ESC[201~`), so a
 * message cannot end the paste it travels in and have its remainder typed as keystrokes (Enter
 * included). What is left (`[201~`) is plain text. Runtimes call this on every text they paste.
 */
export function neutralizePasteMarkers(text: string): string {
  return text.replace(PASTE_MARKER, (marker) => marker.slice(1));
}

/** A terminal a runtime started for this data dir, found by its naming scheme (see `Runtime.listOwned`). */
export interface OwnedTerminal {
  handle: RuntimeHandle;
  /** The ao session id the terminal was started for, read back from its name. */
  sessionId: string;
  /** False for a dead pane kept for its last screen. */
  alive: boolean;
  /** Commands (argv) a human can run to look at it and to end it, e.g. `tmux kill-session -t NAME`. */
  attach: string[];
  end: string[];
}

/** What `Runtime.openTerminal` is asked for: the viewer's size and where its output goes. */
export interface TerminalOpenOptions {
  /** The viewer's size; the runtime resizes the terminal (or its own client of it) to it. */
  cols: number;
  rows: number;
  /**
   * The terminal's output, in order, as raw bytes (UTF-8 text and escape sequences; a character
   * may be split across calls). The first calls draw the current screen — replayed, or redrawn
   * by a multiplexer — so a viewer that opens late sees what is there; then live output follows.
   * May be called before `openTerminal`'s promise resolves.
   */
  onData(data: Uint8Array): void;
  /**
   * Called at most once, when the stream ends by itself: the program exited, the session was
   * stopped, or the connection to the terminal broke. `reason` is one line for the viewer.
   * Never called after `close()`.
   */
  onExit(info: { reason: string }): void;
}

/**
 * An open terminal: a duplex byte stream (input here, output through `onData`) plus resize.
 * Closing it detaches this viewer only; the agent and its session keep running.
 */
export interface TerminalConnection {
  /** Keystrokes (or pasted text) for the program, as a terminal sends them (`\r` for Enter). */
  write(data: string | Uint8Array): void;
  /** The viewer's new size. */
  resize(cols: number, rows: number): void;
  /** Detaches; idempotent. No `onData` or `onExit` call follows. */
  close(): void;
}

/** One line of `ao doctor`: what was checked, and how to fix it when it is not `ok`. */
export interface RuntimeCheck {
  /** `fail`: spawning with this runtime will fail; `warn`: it works, with a problem worth fixing. */
  level: 'ok' | 'warn' | 'fail';
  /** Short subject, e.g. `ssh build-1`. */
  label: string;
  detail: string;
}

/**
 * What `Runtime.cleanup` did with what the runtime keeps for a session beyond its process (the ssh
 * runtime's worktree on its host). `keep`: work is there that removing it would lose, so ao keeps
 * the whole session (local workspace included) and shows this reason. `note`: one phrase for the
 * user next to the removal, e.g. that it was removed too, or that it was left (host unreachable)
 * and how to remove it by hand; the local cleanup goes on.
 */
export interface RuntimeCleanupResult {
  keep?: string;
  note?: string;
}

export interface Runtime {
  /**
   * Called by spawn and restore to start the agent process.
   * Returns the handle to persist. Throws `RUNTIME_FAILED` if the process could not be started and
   * `TOOL_MISSING` when the runtime's program (e.g. tmux) is absent.
   */
  start(options: RuntimeStartOptions): Promise<RuntimeHandle>;

  /**
   * Called by kill and stop. Ends the process; resolves quietly if it is already gone.
   */
  stop(handle: RuntimeHandle): Promise<void>;

  /** Called by status and the lifecycle: true while the process (or its terminal) is running. */
  isAlive(handle: RuntimeHandle): Promise<boolean>;

  /**
   * Liveness of many handles with as few system calls as possible (one `tmux list-sessions`),
   * used by `ao status` and each lifecycle poll. Keys are `handle.id`. A handle the runtime cannot
   * answer for now (its host unreachable) is left out: ao then keeps the session as it was and
   * shows it unreachable, never exited. A handle it knows nothing of (never started) is `false`.
   */
  aliveMany(handles: readonly RuntimeHandle[]): Promise<Map<string, boolean>>;

  /**
   * Called by `ao send` and reactions. Delivers `text` literally — newlines, quotes, `$(…)`,
   * backticks, a leading `-` — as one submission. Bracketed-paste markers inside `text` are
   * neutralised first (`neutralizePasteMarkers`): the rest of a message is never typed as keys.
   * Throws `RUNTIME_FAILED` if the process is gone.
   */
  sendText(handle: RuntimeHandle, text: string, options?: SendTextOptions): Promise<void>;

  /**
   * Optional. Called after an ao process died while delivering `deliveryId` to `handle` (the
   * intent is logged, the `message.sent` is not): did the paste and submit happen? A runtime
   * without it makes every such delivery `unknown`, and a human is told. Any text of the delivery
   * still waiting to be pasted is discarded before `not-delivered` is answered.
   */
  deliveryStatus?(handle: RuntimeHandle, deliveryId: string): Promise<DeliveryStatus>;

  /** Optional. Drops the receipt of `deliveryId` once ao has recorded the delivery's outcome. */
  forgetDelivery?(handle: RuntimeHandle, deliveryId: string): Promise<void>;

  /**
   * Called by activity detection and the dashboard: the visible screen plus up to `lines` lines
   * of scrollback, as plain text. Throws `RUNTIME_FAILED` if the process is gone.
   */
  capture(handle: RuntimeHandle, options?: { lines?: number }): Promise<string>;

  /**
   * Optional. The screens of many handles with as few system calls as possible (one tmux call),
   * used by `ao status` and each lifecycle poll so their cost does not grow per session. Keys are
   * `handle.id`; a handle whose process is gone is left out rather than failing the whole call.
   */
  captureMany?(handles: readonly RuntimeHandle[], options?: { lines?: number }): Promise<Map<string, string>>;

  /**
   * Optional. Every terminal this runtime started for this data dir that still exists, in one
   * system call, whether or not a session record points at it. `ao status` and `ao doctor` use it
   * to find orphans: agents still running after their record was lost.
   */
  listOwned?(): Promise<OwnedTerminal[]>;

  /**
   * Optional. Called by the web terminal (and any viewer) to attach to the live terminal of
   * `handle` as a byte stream: a tmux runtime runs its own `tmux attach-session` client in a pty,
   * the process runtime bridges to the daemon's pty, a remote runtime to its remote terminal.
   * Resolves once attached; output then flows to `options.onData`. Many viewers may be open at
   * once. Throws `RUNTIME_FAILED` when the process (or its terminal) is gone, and `TOOL_MISSING`
   * when something the runtime needs for it (e.g. node-pty) is not installed. A runtime without it
   * has no web terminal; `ao session attach` may still work through `attachArgv`.
   */
  openTerminal?(handle: RuntimeHandle, options: TerminalOpenOptions): Promise<TerminalConnection>;

  /**
   * Optional. Called by `ao session attach` (through the terminal plugin): the argv a human runs in
   * their own terminal, with inherited stdio, to attach to `handle` (`tmux attach-session -t =NAME`,
   * or `ssh -t HOST tmux attach…`). Throws `RUNTIME_FAILED` when the terminal is gone.
   */
  attachArgv?(handle: RuntimeHandle): Promise<string[]>;

  /**
   * Optional. Called by `ao session cleanup` for a finished session, after its agent is stopped and
   * before its local workspace is removed: checks and removes what this runtime keeps for the
   * session elsewhere (the ssh runtime's worktree on its host), under the workspace's rules —
   * nothing uncommitted, no commit that is not here, gitignored files only with `forceIgnored`.
   * With `dryRun` it only checks. Never throws: what it cannot reach it leaves, saying so in `note`.
   */
  cleanup?(handle: RuntimeHandle, options: { dryRun: boolean; forceIgnored: boolean }): Promise<RuntimeCleanupResult>;

  /**
   * Optional. Called by `ao doctor` for each runtime the config uses: checks of what this runtime
   * needs beyond the local machine (e.g. every ssh host reachable, with tmux, git, memory and disk),
   * and whether `programs` (the agent CLIs of the projects that use it) are where the agents run.
   * Never throws: a failure is a `fail` line.
   */
  doctor?(input: { programs: readonly string[] }): Promise<RuntimeCheck[]>;
}
