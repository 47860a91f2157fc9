import { readFileSync } from 'node:fs';

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
