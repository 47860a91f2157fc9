/**
 * The launch script: how an agent's environment and argv reach it without passing through any
 * process's command line, wherever the agent runs (runtime-tmux writes it to a local file,
 * runtime-ssh sends it over ssh's stdin into a file on the host).
 *
 * A tmux server keeps the argv of the client that started it for its whole life, and every user
 * of the machine can read every process's argv (`ps -eo args`, `/proc/<pid>/cmdline`). So the
 * runtime writes this small POSIX sh script, mode 0600 in a 0700 directory, and starts the pane
 * with `/bin/sh <file>`. The script deletes itself first, exports the environment (shell builtins,
 * no new process) and runs the agent.
 *
 * The shell stays, as the pane's process, until the agent's last output is on the pane's screen.
 * tmux marks a pane dead when its process exits, and closes the terminal then without reading
 * what is still in it: an agent that prints why it fails and exits at once (a bad API key) often
 * left a blank screen on a loaded machine (14 of 150 such starts, where the shell now loses 0), and
 * ao had no last words to report. So once the agent exits, the shell asks the terminal for its
 * status (`ESC [5n`) and reads the answer: tmux answers only after it has read and drawn
 * everything written before the question (at most 2 s, for a terminal that never answers). Then it
 * exits as the agent did (its exit code, or the signal that ended it). Ctrl-C and Ctrl-\ reach the
 * agent as before; the shell only waits them out (`trap :`, which the agent does not inherit).
 */
import { AoError } from './errors.js';

/** The shell that runs launch scripts: POSIX sh at its POSIX path, never looked up on PATH. */
export const LAUNCH_SHELL = '/bin/sh';

/**
 * After the agent: wait until the terminal has shown all it wrote (the status report's answer comes
 * after it), restore the terminal's modes, and exit as the agent did.
 */
const DRAIN_AND_EXIT = [
  'if [ -t 0 ] && [ -t 1 ] && ao_tty=$(stty -g 2>/dev/null); then',
  "  stty raw -echo min 0 time 20 2>/dev/null && printf '\\033[5n' && dd bs=64 count=1 of=/dev/null 2>/dev/null",
  '  stty "$ao_tty" 2>/dev/null',
  'fi',
  'if [ "$ao_status" -gt 128 ]; then trap - INT QUIT; kill -s "$(kill -l "$ao_status")" $$; fi',
  'exit "$ao_status"',
];

/** A name `export` accepts. Anything else cannot be set by sh and is refused with its name. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One sh word holding `value` literally: single quotes, each `'` written as `'\''`. */
export function shQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The script text: delete `file` (the script itself), export the environment, run the program, wait for its last output to be shown, exit as it did. */
export function launchScript(file: string, argv: readonly string[], env: Readonly<Record<string, string>> = {}): string {
  if (argv.length === 0) throw new AoError('RUNTIME_FAILED', 'cannot start the agent: the command (argv) is empty');
  if ([...argv, ...Object.values(env)].some((word) => word.includes('\0'))) {
    throw new AoError('RUNTIME_FAILED', 'cannot start the agent: its argv or environment contains a NUL byte');
  }
  const lines = [`rm -f -- ${shQuote(file)}`];
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name)) {
      throw new AoError(
        'RUNTIME_FAILED',
        `cannot start the agent: environment variable name "${name}" is not valid; use letters, digits and _ (not starting with a digit)`,
        { details: { name } },
      );
    }
    lines.push(`export ${name}=${shQuote(value)}`);
  }
  lines.push('trap : INT QUIT', argv.map(shQuote).join(' '), 'ao_status=$?', ...DRAIN_AND_EXIT);
  return `${lines.join('\n')}\n`;
}
