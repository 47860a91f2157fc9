/**
 * The launch file: how an agent's environment and argv reach it without passing through any
 * process's command line.
 *
 * A tmux server keeps the argv of the client that started it for its whole life, and every local
 * user can read every process's argv (`ps -eo args`, `/proc/<pid>/cmdline`). So `tmux new-session
 * -e KEY=VALUE -- agent <prompt>` would publish API keys and prompts. Instead the runtime writes a
 * small POSIX sh script, mode 0600 in a 0700 directory of the data dir, and starts the pane with
 * `/bin/sh <file>`. The script deletes itself first, exports the environment (shell builtins, no
 * new process) and `exec`s the agent, so the agent is the pane's process as before.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AoError } from '@ao/core';

/** The shell that runs launch files: POSIX sh at its POSIX path, never looked up on PATH. */
export const LAUNCH_SHELL = '/bin/sh';

/** A name `export` accepts. Anything else cannot be set by sh and is refused with its name. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One sh word holding `value` literally: single quotes, each `'` written as `'\''`. */
export function shQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The script text: delete itself, export the environment, exec the program. */
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

/**
 * Writes the launch file for one start under `dir` (created 0700) and returns its path; the file
 * is created 0600 and never replaces an existing one. The caller removes it when the start fails
 * before the script ran (`removeLaunchFile`); once running, the script removes itself.
 */
export async function writeLaunchFile(dir: string, argv: readonly string[], env?: Readonly<Record<string, string>>): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const file = join(dir, `launch-${randomBytes(8).toString('hex')}.sh`);
  await writeFile(file, launchScript(file, argv, env), { flag: 'wx', mode: 0o600 });
  return file;
}

export async function removeLaunchFile(file: string): Promise<void> {
  await unlink(file).catch(() => {});
}
