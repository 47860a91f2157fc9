/**
 * The pty records under `<home>/pty/<id>.json`: what a restarted daemon needs to know about the
 * ptys of the one before it (their ids, so handles resolve to "not alive" instead of "unknown";
 * their pids, so an orphaned agent can be found and ended; their last screen when it was saved).
 * Never holds the environment: it may carry secrets.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdirPrivate, mkdirPrivateSync, writeFileAtomicSync, writeJsonRecord, type AoPaths, type Logger, pidAlive } from '@ao/core/plugin';

export interface PtyRecord {
  id: string;
  sessionId: string;
  pid: number;
  /** Pid of the daemon whose host started it. */
  hostPid: number;
  /** Random id of that host instance (two hosts can share a pid, e.g. in tests). */
  hostId: string;
  argv: string[];
  cwd: string;
  startedAt: string;
  exitCode?: number | null;
  signal?: number | null;
  exitedAt?: string | null;
  /** The rendered screen when the program ended, so it stays readable after a daemon restart. */
  lastScreen?: string;
}

export const ptyDir = (paths: AoPaths): string => join(paths.home, 'pty');
const recordPath = (paths: AoPaths, id: string): string => join(ptyDir(paths), `${id}.json`);

function isRecord(value: unknown): value is PtyRecord {
  const r = value as Partial<PtyRecord> | null;
  return (
    !!r &&
    typeof r.id === 'string' &&
    typeof r.sessionId === 'string' &&
    typeof r.pid === 'number' &&
    typeof r.hostPid === 'number' &&
    Array.isArray(r.argv) &&
    typeof r.cwd === 'string' &&
    typeof r.startedAt === 'string'
  );
}

/** Every readable record; a corrupt file is logged by path and skipped. */
export function readPtyRecords(paths: AoPaths, logger: Logger): PtyRecord[] {
  const dir = ptyDir(paths);
  if (!existsSync(dir)) return [];
  const records: PtyRecord[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    const file = join(dir, name);
    try {
      const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (isRecord(value)) records.push(value);
      else logger.warn({ file }, 'pty record has an unexpected shape; ignored');
    } catch (error) {
      logger.warn({ file, err: (error as Error).message }, 'pty record unreadable; ignored');
    }
  }
  return records;
}

export function readPtyRecord(paths: AoPaths, id: string): PtyRecord | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(recordPath(paths, id), 'utf8'));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export async function writePtyRecord(paths: AoPaths, record: PtyRecord): Promise<void> {
  await mkdirPrivate(ptyDir(paths));
  await writeJsonRecord(recordPath(paths, record.id), record);
}

/**
 * Writes `record` unless the file now holds another program's record (`keep(current)` says
 * false). Check and write run synchronously, so within this process no other write can land in
 * between: a host noting how its old program ended never overwrites the record of the program
 * that replaced it.
 */
export function writePtyRecordIf(paths: AoPaths, record: PtyRecord, keep: (current: PtyRecord) => boolean): boolean {
  const current = readPtyRecord(paths, record.id);
  if (current && !keep(current)) return false;
  mkdirPrivateSync(ptyDir(paths));
  writeFileAtomicSync(recordPath(paths, record.id), `${JSON.stringify(record, null, 2)}\n`);
  return true;
}

export async function removePtyRecord(paths: AoPaths, id: string): Promise<void> {
  await rm(recordPath(paths, id), { force: true });
}


/**
 * True while a live (non-zombie) process of the group led by `pgid` exists. A killed member stays
 * a zombie until its new parent (init, in a container maybe never) reaps it; it holds nothing, so
 * it does not count. Linux reads /proc; elsewhere any member, zombie or not, counts.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  for (const pid of pids) {
    const stat = procStat(Number(pid));
    if (stat && stat.pgrp === pgid && stat.state !== 'Z') return true;
  }
  return false;
}

/** State, process group, session and start time (ticks since boot) from /proc/<pid>/stat. */
function procStat(pid: number): { state: string; pgrp: number; session: number; startTicks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command: state(0) ppid(1) pgrp(2) session(3) … starttime(19).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', pgrp: Number(fields[2]), session: Number(fields[3]), startTicks: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

/**
 * Signals the program's whole process group (a pty child leads its own session and group, so
 * this reaches what it spawned too), and the pid itself in case it left the group. Quiet when gone.
 */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Whether a live `pid` is still the process a record describes, not an unrelated one that reused
 * the pid: on Linux it must lead its own session (pty children do) and have started within a few
 * seconds of `startedAt`; elsewhere it must at least lead a process group.
 */
export function isRecordedProcess(record: PtyRecord): boolean {
  if (!pidAlive(record.pid)) return false;
  if (!existsSync('/proc/self/stat')) return groupAlive(record.pid);
  const stat = procStat(record.pid);
  if (!stat || stat.state === 'Z' || stat.session !== record.pid) return false;
  let btime = Number.NaN;
  try {
    btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
  } catch {
    // no boot time: the session check alone has to do
  }
  if (!Number.isFinite(stat.startTicks) || !Number.isFinite(btime)) return true;
  // USER_HZ is 100 on every Linux ao runs on; the tolerance covers a coarse clock.
  const startedMs = (btime + stat.startTicks / 100) * 1000;
  return Math.abs(startedMs - Date.parse(record.startedAt)) < 10_000;
}

export { pidAlive };
