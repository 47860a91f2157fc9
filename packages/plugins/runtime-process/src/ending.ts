/**
 * Ending a pty's program with everything it started: SIGTERM to its process group, SIGKILL after
 * the grace period, for a program of this host and for one a previous daemon left running.
 */
import type { Clock, Logger } from '@ao/core/plugin';
import { groupAlive, isRecordedProcess, signalGroup, type PtyRecord } from './records.js';

export interface EndingOptions {
  graceMs: number;
  clock: Clock;
  log: Logger;
}

/**
 * Ends the program `pid` leads. `exited` resolves when this host's pty reports its exit; undefined
 * when the program already exited (then only the rest of its group is left to end).
 */
export async function endProgram(pid: number, exited: Promise<void> | undefined, options: EndingOptions): Promise<void> {
  const deadline = options.clock.now() + options.graceMs;
  if (exited) {
    signalGroup(pid, 'SIGTERM');
    if (!(await within(exited, options.graceMs))) {
      signalGroup(pid, 'SIGKILL');
      if (!(await within(exited, 2000))) options.log.warn({ pid }, 'pty did not report its exit after SIGKILL');
      return;
    }
  }
  // The leader exited; members of its group get the rest of the grace period.
  await endGroupBy(pid, deadline, options);
}

/** Ends a program a previous daemon left running: an agent nobody can see or type into. */
export async function reapOrphan(record: PtyRecord, options: EndingOptions): Promise<void> {
  if (!isRecordedProcess(record)) return;
  options.log.warn({ id: record.id, pid: record.pid }, 'ending a pty program orphaned by a previous daemon');
  signalGroup(record.pid, 'SIGTERM');
  await endGroupBy(record.pid, options.clock.now() + options.graceMs, options);
}

/** Waits for the group to end until `deadline`, then kills what is left. */
async function endGroupBy(pgid: number, deadline: number, { clock }: EndingOptions): Promise<void> {
  while (groupAlive(pgid) && clock.now() < deadline) await clock.sleep(50);
  if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
}

/** Resolves true when `promise` settles within `ms`, false otherwise; leaves no timer behind. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
