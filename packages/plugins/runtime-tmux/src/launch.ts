/**
 * The tmux runtime's launch file: the launch script (core's `launchScript`, which says why argv
 * and environment never go on a command line) written to a private file of the data dir.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launchScript } from '@ao/core/plugin';

export { LAUNCH_SHELL, launchScript, shQuote } from '@ao/core/plugin';

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
