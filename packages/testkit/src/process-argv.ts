import { readdirSync, readFileSync } from 'node:fs';

/**
 * The command lines (argv joined with spaces) of every process on this machine that contain one
 * of `needles`: what `ps -eo args` shows any local user. Reads `/proc/<pid>/cmdline` (Linux); an
 * empty result means no process carries them. For tests that keep secrets and prompts off argv.
 */
export function processArgvContaining(needles: readonly string[]): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let args: string;
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue; // the process ended meanwhile
    }
    if (needles.some((needle) => args.includes(needle))) found.push(`${pid}: ${args}`);
  }
  return found;
}
