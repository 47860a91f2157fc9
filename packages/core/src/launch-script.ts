/**
 * The launch script: how an agent's environment and argv reach it without passing through any
 * process's command line, wherever the agent runs (runtime-tmux writes it to a local file,
 * runtime-ssh sends it over ssh's stdin into a file on the host).
 *
 * A tmux server keeps the argv of the client that started it for its whole life, and every user
 * of the machine can read every process's argv (`ps -eo args`, `/proc/<pid>/cmdline`). So the
 * runtime writes this small POSIX sh script, mode 0600 in a 0700 directory, and starts the pane
 * with `/bin/sh <file>`. The script deletes itself first, exports the environment (shell builtins,
 * no new process) and `exec`s the agent, so the agent is the pane's process.
 */
import { AoError } from './errors.js';

/** The shell that runs launch scripts: POSIX sh at its POSIX path, never looked up on PATH. */
export const LAUNCH_SHELL = '/bin/sh';

/** A name `export` accepts. Anything else cannot be set by sh and is refused with its name. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One sh word holding `value` literally: single quotes, each `'` written as `'\''`. */
export function shQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The script text: delete `file` (the script itself), export the environment, exec the program. */
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
  lines.push(`exec ${argv.map(shQuote).join(' ')}`);
  return `${lines.join('\n')}\n`;
}
