/**
 * The one tmux helper of the project: every tmux command ao runs goes through here, so quoting,
 * exact-name targeting and "no server running" handling are solved once.
 *
 * Every function takes the host's `Exec` (argv arrays, never a shell). A missing tmux binary
 * surfaces as `AoError('TOOL_MISSING')` with an install hint — core's exec does that for ENOENT.
 */
import { AoError, type Exec } from '@ao/core/plugin';

/** What `listSessions` knows about one tmux session. */
export interface TmuxSessionInfo {
  name: string;
  /** True while at least one pane still runs its process (a `remain-on-exit` pane can be dead). */
  alive: boolean;
}

export interface NewSessionOptions {
  name: string;
  cwd: string;
  /**
   * Program and arguments, passed to tmux as separate words (never a shell string). They become
   * the tmux server's own argv when this call starts the server, readable by every local user:
   * never put a secret or user text here (the runtime passes `/bin/sh <launch file>`, launch.ts).
   * There is deliberately no `env` option: `-e KEY=VALUE` would be just as public.
   */
  argv: readonly string[];
  cols?: number;
  rows?: number;
  /** Keep the pane (and its final screen) after the process exits. */
  remainOnExit?: boolean;
}

/**
 * tmux splits its own argv into commands at any word that ends in `;` (`a;` is "a" then a new
 * command). A trailing `\;` is the escape and tmux turns it back into `;`, so user data such as
 * `sh -c 'echo hi;'` reaches the program unchanged.
 */
export function escapeTmuxArg(arg: string): string {
  return arg.endsWith(';') ? `${arg.slice(0, -1)}\\;` : arg;
}

/** `=name` matches a session by exact name; a bare name would also match by prefix (`ao-1` → `ao-10`). */
export function sessionTarget(name: string): string {
  return `=${name}`;
}

/** The active pane of session `name`, matched exactly. */
export function paneTarget(name: string): string {
  return `=${name}:`;
}

/** tmux forbids `.` and `:` in session names and they'd break target syntax; keep names plain. */
export function sanitizeSessionName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** stderr of a tmux call that found no server: nothing is running, which is not an error. */
export function isNoServerError(stderr: string): boolean {
  return /no server running|error connecting to|server exited unexpectedly|no current (session|client)/i.test(stderr);
}

/** stderr of a tmux call whose target session/pane does not exist. */
export function isMissingTargetError(stderr: string): boolean {
  return isNoServerError(stderr) || /can't find (session|window|pane)|no such (session|window|pane)|no current target|session not found/i.test(stderr);
}

/** Runs `tmux ...args` with every word escaped; `reject: false` so callers classify failures. */
async function tmux(exec: Exec, args: readonly string[], input?: string) {
  return exec('tmux', args.map(escapeTmuxArg), { reject: false, ...(input === undefined ? {} : { input }) });
}

function failed(what: string, result: { stderr: string; stdout: string; exitCode: number }): AoError {
  const detail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join('\n');
  return new AoError('RUNTIME_FAILED', `tmux ${what} failed (exit ${result.exitCode})${detail ? `: ${detail}` : ''}`, {
    details: { exitCode: result.exitCode, stderr: result.stderr },
  });
}

/**
 * Starts a detached session running `argv` in `cwd`. With one word tmux would hand it to `sh -c`;
 * it is run through `env --` instead so a single program path with spaces is never re-parsed.
 * `remain-on-exit` is set in the same tmux invocation: tmux runs a command list before it handles
 * the child's exit, so even a program that exits at once leaves its screen behind.
 */
export async function newSession(exec: Exec, options: NewSessionOptions): Promise<void> {
  if (options.argv.length === 0) {
    throw new AoError('RUNTIME_FAILED', `cannot start tmux session ${options.name}: the command (argv) is empty`);
  }
  const args = ['new-session', '-d', '-s', options.name, '-c', options.cwd];
  if (options.cols !== undefined) args.push('-x', String(options.cols));
  if (options.rows !== undefined) args.push('-y', String(options.rows));
  const argv = options.argv.length === 1 ? ['env', '--', ...options.argv] : options.argv;
  args.push('--', ...argv);
  const words = args.map(escapeTmuxArg);
  // The bare `;` is our own command separator, so it is added after escaping.
  if (options.remainOnExit) words.push(';', 'set-option', '-w', '-t', paneTarget(options.name), 'remain-on-exit', 'on');
  // A server that is exiting (its last session just ended) drops clients that connect meanwhile
  // with "server exited unexpectedly"; nothing was created then, so starting again is safe and
  // brings up a fresh server.
  for (let attempt = 1; ; attempt++) {
    const result = await exec('tmux', words, { reject: false });
    if (result.exitCode === 0) return;
    if (attempt >= 3 || !isNoServerError(result.stderr)) throw failed(`new-session -s ${options.name}`, result);
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
  }
}

/** Kills the session; resolves quietly when it (or the whole server) is already gone. */
export async function killSession(exec: Exec, name: string): Promise<void> {
  const result = await tmux(exec, ['kill-session', '-t', sessionTarget(name)]);
  if (result.exitCode !== 0 && !isMissingTargetError(result.stderr)) throw failed(`kill-session -t ${name}`, result);
}

/** True when a session with exactly this name exists (alive or with a dead pane kept). */
export async function hasSession(exec: Exec, name: string): Promise<boolean> {
  const result = await tmux(exec, ['has-session', '-t', sessionTarget(name)]);
  if (result.exitCode === 0) return true;
  if (isMissingTargetError(result.stderr)) return false;
  throw failed(`has-session -t ${name}`, result);
}

/**
 * Every session of the server with its liveness, from ONE `tmux list-panes -a` call.
 * No server running means no sessions: an empty map, not an error.
 */
export async function listSessions(exec: Exec): Promise<Map<string, TmuxSessionInfo>> {
  const result = await tmux(exec, ['list-panes', '-a', '-F', '#{session_name}\t#{pane_dead}']);
  const sessions = new Map<string, TmuxSessionInfo>();
  if (result.exitCode !== 0) {
    if (isNoServerError(result.stderr)) return sessions;
    throw failed('list-panes -a', result);
  }
  for (const line of result.stdout.split('\n')) {
    const tab = line.lastIndexOf('\t');
    if (tab < 0) continue;
    const name = line.slice(0, tab);
    const paneAlive = line.slice(tab + 1).trim() !== '1';
    const known = sessions.get(name);
    sessions.set(name, { name, alive: (known?.alive ?? false) || paneAlive });
  }
  return sessions;
}

/**
 * Liveness of one session: `undefined` when it does not exist, else whether any pane still runs.
 * One tmux call.
 */
export async function sessionAlive(exec: Exec, name: string): Promise<boolean | undefined> {
  // list-panes takes a *window* target even with -s, and tmux 3.3 resolves a bare `=name` window
  // target by session-name prefix (`=ao-app-2` finds `ao-app-20`); `=name:` is matched exactly.
  const result = await tmux(exec, ['list-panes', '-s', '-t', paneTarget(name), '-F', '#{pane_dead}']);
  if (result.exitCode !== 0) {
    if (isMissingTargetError(result.stderr)) return undefined;
    throw failed(`list-panes -t ${name}`, result);
  }
  return result.stdout.split('\n').some((line) => line.trim() === '0');
}

/** Loads `text` into the named paste buffer through stdin, so no byte of it is ever parsed by tmux. */
export async function loadBuffer(exec: Exec, buffer: string, text: string): Promise<void> {
  const result = await tmux(exec, ['load-buffer', '-b', buffer, '-'], text);
  if (result.exitCode !== 0) throw failed(`load-buffer -b ${buffer}`, result);
}

export interface PasteBufferOptions {
  /** Wrap in bracketed-paste markers when the program asked for them (`-p`). Default true. */
  bracketed?: boolean;
  /** Delete the buffer after pasting (`-d`). Default true. */
  deleteAfter?: boolean;
}

/** Pastes a buffer into the session's active pane. */
export async function pasteBuffer(exec: Exec, name: string, buffer: string, options: PasteBufferOptions = {}): Promise<void> {
  const args = ['paste-buffer', '-b', buffer, '-t', paneTarget(name)];
  if (options.bracketed !== false) args.push('-p');
  if (options.deleteAfter !== false) args.push('-d');
  const result = await tmux(exec, args);
  if (result.exitCode !== 0) throw failed(`paste-buffer -t ${name}`, result);
}

export interface PasteAndSubmitOptions extends PasteBufferOptions {
  /** Press Enter after the paste. Default true. */
  submit?: boolean;
  /** A session option (`@…`) set to 1 in the same command: a receipt that the paste happened. */
  receipt?: string;
  /** A pause between the paste and the Enter, inside the same command (tmux's `run-shell -d`). */
  submitDelayMs?: number;
}

/**
 * Pastes a buffer and presses Enter in ONE tmux invocation. The server runs a command list
 * without running another client's commands in between, so the paste and its Enter reach the pane
 * together; and the ao process dying mid-way cannot leave a paste without its Enter.
 */
export async function pasteAndSubmit(exec: Exec, name: string, buffer: string, options: PasteAndSubmitOptions = {}): Promise<void> {
  const paste = ['paste-buffer', '-b', buffer, '-t', paneTarget(name)];
  if (options.bracketed !== false) paste.push('-p');
  if (options.deleteAfter !== false) paste.push('-d');
  const words = paste.map(escapeTmuxArg);
  // The bare `;` is our own command separator, so it is added after escaping.
  if (options.submit !== false) {
    // The server holds this command list while it waits, so nothing else reaches the pane between.
    if (options.submitDelayMs) words.push(';', 'run-shell', '-d', (options.submitDelayMs / 1000).toFixed(3));
    words.push(';', ...['send-keys', '-t', paneTarget(name), 'Enter'].map(escapeTmuxArg));
  }
  if (options.receipt) words.push(';', ...['set-option', '-t', paneTarget(name), options.receipt, '1'].map(escapeTmuxArg));
  const result = await exec('tmux', words, { reject: false });
  if (result.exitCode !== 0) throw failed(`paste-buffer -t ${name}`, result);
}

/** The value of the user option `option` (`@…`) of session `name`; undefined when unset. */
export async function showSessionOption(exec: Exec, name: string, option: string): Promise<string | undefined> {
  const result = await tmux(exec, ['show-options', '-qv', '-t', paneTarget(name), option]);
  if (result.exitCode !== 0) throw failed(`show-options -t ${name} ${option}`, result);
  const value = result.stdout.replace(/\n$/, '');
  return value === '' ? undefined : value;
}

/** Unsets the user option `option` of session `name`; quiet when it (or the session) is gone. */
export async function unsetSessionOption(exec: Exec, name: string, option: string): Promise<void> {
  await tmux(exec, ['set-option', '-qu', '-t', paneTarget(name), option]);
}

/** True when the paste buffer exists (loaded and not yet pasted with `-d`). */
export async function bufferExists(exec: Exec, buffer: string): Promise<boolean> {
  const result = await tmux(exec, ['show-buffer', '-b', buffer]);
  return result.exitCode === 0;
}

/** Deletes a paste buffer; quiet when it is already gone. */
export async function deleteBuffer(exec: Exec, buffer: string): Promise<void> {
  await tmux(exec, ['delete-buffer', '-b', buffer]);
}

/**
 * Sends key names (`Enter`, `C-c`, `Escape`) to the session's active pane. Not for text: key names
 * and text are ambiguous to tmux (`Enter` the word vs the key); text goes through a paste buffer.
 */
export async function sendKeys(exec: Exec, name: string, keys: readonly string[]): Promise<void> {
  const result = await tmux(exec, ['send-keys', '-t', paneTarget(name), ...keys]);
  if (result.exitCode !== 0) throw failed(`send-keys -t ${name}`, result);
}

/**
 * The visible screen of the session's active pane plus up to `lines` lines of scrollback, with
 * wrapped lines joined, trailing spaces and trailing blank lines removed.
 */
export async function capturePane(exec: Exec, name: string, options: { lines?: number } = {}): Promise<string> {
  const args = ['capture-pane', '-p', '-J', '-t', paneTarget(name)];
  const lines = Math.max(0, Math.floor(options.lines ?? 0));
  if (lines > 0) args.push('-S', `-${lines}`);
  const result = await tmux(exec, args);
  if (result.exitCode !== 0) throw failed(`capture-pane -t ${name}`, result);
  return result.stdout
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n+$/, '');
}

/**
 * The screens of several sessions in ONE tmux invocation: capture-pane commands chained with `;`,
 * separated by a marker line printed with display-message. If tmux refuses the chain (a session
 * vanished meanwhile), falls back to one capture per session and leaves the vanished ones out.
 */
export async function capturePanes(exec: Exec, names: readonly string[], options: { lines?: number } = {}): Promise<Map<string, string>> {
  // tmux passes a command line to its server in one message of at most ~16 KB: chain in batches.
  const screens = new Map<string, string>();
  for (let i = 0; i < names.length; i += CAPTURE_BATCH) {
    for (const [name, screen] of await captureBatch(exec, names.slice(i, i + CAPTURE_BATCH), options)) screens.set(name, screen);
  }
  return screens;
}

const CAPTURE_BATCH = 40;

async function captureBatch(exec: Exec, names: readonly string[], options: { lines?: number }): Promise<Map<string, string>> {
  const screens = new Map<string, string>();
  if (!names.length) return screens;
  const lines = Math.max(0, Math.floor(options.lines ?? 0));
  const marker = `AO-CAPTURE-${Math.random().toString(36).slice(2)}`; // no leading dash: tmux would read it as a flag
  // Words are escaped like every tmux call; the bare ';' between commands is the separator.
  const words: string[] = [];
  names.forEach((name, i) => {
    if (i > 0) words.push(';', ...['display-message', '-p', marker].map(escapeTmuxArg), ';');
    words.push(...['capture-pane', '-p', '-J', '-t', paneTarget(name), ...(lines > 0 ? ['-S', `-${lines}`] : [])].map(escapeTmuxArg));
  });
  const result = await exec('tmux', words, { reject: false });
  const parts = result.stdout.split(`${marker}\n`);
  if (result.exitCode === 0 && parts.length === names.length) {
    names.forEach((name, i) => screens.set(name, (parts[i] ?? '').split('\n').map((l) => l.trimEnd()).join('\n').replace(/\n+$/, '')));
    return screens;
  }
  for (const name of names) {
    const screen = await capturePane(exec, name, options).catch(() => undefined);
    if (screen !== undefined) screens.set(name, screen);
  }
  return screens;
}

/**
 * The argv a human runs to attach to a session: `attach-session` from a plain terminal,
 * `switch-client` from inside tmux (attaching there would nest tmux, which tmux refuses).
 */
export function attachArgv(name: string, options: { insideTmux?: boolean } = {}): string[] {
  return options.insideTmux
    ? ['tmux', 'switch-client', '-t', sessionTarget(name)]
    : ['tmux', 'attach-session', '-t', sessionTarget(name)];
}
