import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/**
 * True while `pid` is a running process — the one liveness check for pid files, locks and CI runs.
 * EPERM means it exists but belongs to someone else (alive). A zombie (exited, not yet reaped —
 * in a container whose init never reaps, possibly forever) counts as dead: it holds nothing and
 * will never answer again. Without /proc (macOS) kill(0) is all there is.
 */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

let bootId: string | undefined;

/**
 * When `pid` started, as an opaque string that differs between two processes that had the same
 * pid: on Linux the boot id and the start time in clock ticks (`/proc/<pid>/stat` field 22),
 * elsewhere what `ps -o lstart=` says. Undefined when the process does not exist (or the platform
 * cannot say). Recorded next to a pid so that, later, a pid now held by another process is told
 * apart from the one that wrote it: pid liveness alone proves nothing after a crash or a reboot.
 */
export function processStartTime(pid: number): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let stat: string | undefined;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && existsSync('/proc/self/stat')) return undefined;
  }
  if (stat !== undefined) {
    // Fields after the command name (which may hold spaces and parentheses): state is field 3.
    const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    if (!ticks) return undefined;
    try {
      bootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootId = '';
    }
    return `${bootId}:${ticks}`;
  }
  try {
    const started = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return started || undefined;
  } catch {
    return undefined;
  }
}

/** True while `pid` is alive and is the very process whose `processStartTime` was `startTime`. */
export function sameProcess(pid: number, startTime: string | undefined): boolean {
  if (!startTime || !pidAlive(pid)) return false;
  return processStartTime(pid) === startTime;
}
