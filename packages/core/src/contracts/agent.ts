/**
 * Agent: how to launch one agent CLI (Claude Code, Codex, Aider, OpenCode, any command), how to
 * hand it the prompt, and how to tell what it is doing.
 */

/** What the agent is doing right now. */
export const ACTIVITIES = ['active', 'idle', 'waiting_input', 'blocked', 'exited'] as const;
export type Activity = (typeof ACTIVITIES)[number];

/** How the first prompt reaches the agent. */
export type PromptDelivery = 'arg' | 'stdin' | 'send';

/** An MCP server for the agent to use, started by the agent CLI over stdio. */
export interface McpServerSpec {
  command: string;
  args: string[];
  /** Variables the server needs (CLIs such as Codex start MCP servers with a filtered environment). */
  env?: Record<string, string>;
}

export interface AgentLaunchInput {
  sessionId: string;
  /** The session's workspace; the agent runs with this as its cwd. */
  workspacePath: string;
  /** The first prompt, if any. */
  prompt?: string;
  /**
   * Set by restore: the agent's own conversation id recorded earlier (see `nativeSessionId`),
   * so CLIs that can resume a conversation do.
   */
  resumeId?: string;
  /**
   * MCP servers to configure for this session, by name: the orchestrator gets ao's own (`ao mcp`),
   * so it drives ao through tools. Plugins whose CLI takes MCP servers on its command line pass
   * them (Claude Code `--mcp-config`, Codex `-c mcp_servers.<name>…`); others ignore them.
   */
  mcpServers?: Record<string, McpServerSpec>;
}

export interface AgentLaunch {
  /** Program and arguments for the runtime. */
  argv: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /**
   * When set, ao types this into the agent (via the runtime) once it is up: prompt delivery
   * `send`, or `stdin` for runtimes that can't pipe.
   */
  initialInput?: string;
}

export interface ActivityProbe {
  workspacePath: string;
  /** Is the runtime process still alive? When false the answer is `exited`. */
  alive: boolean;
  /** The current screen, when the runtime can capture it. */
  screen?: string;
  /** Milliseconds since the screen last changed (tracked by the caller). */
  msSinceScreenChange?: number;
  /** When the session started, to find the agent's own logs written since. */
  startedAt: number;
  /** Current time. */
  now: number;
}

export interface ActivityReport {
  activity: Activity;
  /** What the answer was based on, e.g. `claude-jsonl`, `screen`. */
  source: string;
  /** Short human explanation ("asks: Proceed? (y/n)"). */
  detail?: string;
  /** The agent CLI's own conversation id, when found; stored for restore. */
  nativeSessionId?: string;
}

/** One choice of a menu the agent shows (a permission prompt, a question, a dialog). */
export interface MenuOption {
  /** 1-based position, as numbered on screen (or counted left to right for unnumbered menus). */
  number: number;
  /** The option's text, without its number or shortcut, e.g. `No, and tell Codex what to do differently`. */
  label: string;
  /** The shortcut the screen shows for it, lower-cased, e.g. `y` or `esc`. */
  shortcut?: string;
}

/** A menu on the agent's screen that waits for a choice; typed text does not answer it. */
export interface AgentMenu {
  /** `permission`: may the agent run a tool; `question`: the agent asks the user; `dialog`: the CLI's own (trust, API key, login). */
  kind: 'permission' | 'question' | 'dialog';
  /** The question the menu asks, one line, e.g. `Do you want to proceed?`. */
  prompt: string;
  options: MenuOption[];
}

/**
 * Keys for `Runtime` delivery, one key each: a single character, or one of these names.
 * Core turns them into the bytes a terminal sends (see `KEY_NAMES` in core's activity module).
 */
export type KeyName = 'Enter' | 'Escape' | 'Tab' | 'Space' | 'Backspace' | 'Up' | 'Down' | 'Left' | 'Right' | 'C-c';

/** Tokens by kind, as the model provider bills them. */
export interface TokenCounts {
  /** Input tokens not served from the prompt cache. */
  input: number;
  /** Output tokens (reasoning included, where the CLI counts it apart). */
  output: number;
  /** Input tokens read from the prompt cache. */
  cacheRead: number;
  /** Input tokens written to the prompt cache. */
  cacheWrite: number;
}

/** What `readUsage` and `readTrace` get: where the session runs, and since when. */
export interface AgentLogProbe {
  workspacePath: string;
  /** When the session (last) started, to find the agent's own logs written since. */
  startedAt: number;
  /** Current time. */
  now: number;
  /** The agent CLI's conversation id, when known (see `ActivityReport.nativeSessionId`). */
  nativeSessionId?: string;
}

/** A plain JSON value a plugin keeps between reads (a byte offset, a message id). */
export type LogCursor = Record<string, string | number | boolean | null>;

/** The tokens one agent log records so far. Readings of different logs add up to the session's. */
export interface UsageReading {
  /** The log this reading covers (its path, or `<db>#<conversation id>`): its key on the session. */
  log: string;
  /** Tokens per model; `''` when the log names no model. */
  byModel: Record<string, TokenCounts>;
  /** US dollars the CLI itself computed for this log, when it records a cost (OpenCode). */
  costUsd?: number;
  /** Where this read stopped: handed back as `previous` so the next read starts there. */
  cursor?: LogCursor;
}

export interface UsageProbe extends AgentLogProbe {
  /** The readings recorded on the session so far, by `log`: continue from `previous[log].cursor`. */
  previous: Readonly<Record<string, UsageReading>>;
}

/** One step of the conversation, from the agent's own log. */
export interface TraceEntry {
  /** ISO time, when the log records it. */
  ts?: string;
  /**
   * `user`: what the user (or ao) typed; `assistant`: the agent's reply; `reasoning`: its recorded
   * thinking; `tool_call` / `tool_result`: a tool it ran and what came back; `error`: a failed turn.
   */
  kind: 'user' | 'assistant' | 'reasoning' | 'tool_call' | 'tool_result' | 'error';
  /** The text, or the tool's input as compact JSON for `tool_call`. */
  text: string;
  /** The tool's name, for `tool_call` and (when known) `tool_result`. */
  tool?: string;
  /** Pairs a `tool_result` with its `tool_call`. */
  callId?: string;
  /** A tool result the agent marked as failed (a denied permission usually is). */
  isError?: boolean;
}

export interface TraceProbe extends AgentLogProbe {
  /** The `cursor` of an earlier read: return only what was written after it (`--follow`). */
  after?: LogCursor;
}

export interface TraceReading {
  entries: TraceEntry[];
  /** Pass back as `after` to read only what comes next. */
  cursor: LogCursor;
  /** The log read. */
  log: string;
}

export interface Agent {
  /**
   * Called by spawn and restore. Returns how to start the agent for this session.
   * Throws `AGENT_FAILED` for an impossible request (e.g. resume on a CLI that cannot).
   */
  launch(input: AgentLaunchInput): AgentLaunch | Promise<AgentLaunch>;

  /**
   * Called by status and each lifecycle poll. Decides the activity from the agent's native logs
   * where it writes them, else from the screen. Must not throw for an unreadable log: fall back.
   * Also called by restore with `alive: false` when no poll recorded the conversation id: report
   * `exited` with the `nativeSessionId` the agent's logs name, if any.
   */
  detectActivity(probe: ActivityProbe): Promise<ActivityReport>;

  /** Whether `launch` honours `resumeId`. */
  readonly canResume: boolean;

  /**
   * Whether this agent can plan: read the orchestrator's instructions and drive other sessions
   * through `ao` itself. True for AI coding agents; absent or false for a plain program (a test
   * script, a formatter), which `ao start` then does not launch as the orchestrator.
   */
  readonly canPlan?: boolean;

  /**
   * Optional. Milliseconds this CLI's terminal UI needs between a pasted message and the Enter that
   * submits it. Claude Code takes a paste asynchronously and drops an Enter that arrives in the same
   * burst (the text then sits in its input box, unsent). Default 0.
   */
  readonly submitDelayMs?: number;

  /**
   * Optional. The text in this CLI's input box on `screen`: '' when the box is empty (or the
   * placeholder it draws there, which a plain capture cannot tell from text), undefined when no
   * input box shows (a menu, a starting or exited CLI). Must not throw. After each delivery ao
   * reads it to confirm the submission: a CLI that was busy (rendering, processing the paste) can
   * drop the Enter and keep the message in its box, unsent; while the box still holds the message
   * and the screen has settled, ao presses Enter again (at most a few times, under the delivery
   * lock; never while `readMenu` reads a menu).
   */
  readInput?(screen: string): string | undefined;

  /**
   * Optional. Called by `send` (under the session's delivery lock) and by activity detection with
   * the current screen: the menu the agent waits on, or `undefined` when none is showing. While a
   * menu shows, a message is an answer: `send` selects the option it names with `menuKeys`, and
   * refuses (sending nothing) an answer that names no option. Must not throw.
   */
  readMenu?(screen: string): AgentMenu | undefined;

  /**
   * Optional, with `readMenu`. The keys (single characters or `KeyName`s) that select `option` of
   * `menu` in this CLI, e.g. `['3']` for Claude Code, `['Escape']` for OpenCode's Reject. Never a
   * sequence that could confirm another option if a key were lost: prefer direct shortcuts.
   */
  menuKeys?(menu: AgentMenu, option: MenuOption): string[];

  /**
   * Optional. Called by status and each lifecycle poll after `detectActivity`: the tokens the
   * agent's own log records for this session. Read only what was written since `previous[log].cursor`
   * (polls are frequent, logs are large) and return the whole log's reading; undefined when no log
   * is found (yet). Must not throw for an unreadable log: return undefined. ao stores the reading on
   * the session (`usage.updated`) and prices it (see docs/sessions.md, `pricing:`).
   */
  readUsage?(probe: UsageProbe): Promise<UsageReading | undefined>;

  /**
   * Optional. Called by `ao session trace` and the dashboard: the conversation from the agent's own
   * log (prompts, replies, tool calls and results, reasoning where the CLI records it), oldest first,
   * after `probe.after` when given. Undefined when no log is found. May throw `AGENT_FAILED` for a
   * log it cannot read.
   */
  readTrace?(probe: TraceProbe): Promise<TraceReading | undefined>;
}
