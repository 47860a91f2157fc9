import { freemem } from 'node:os';
import { join } from 'node:path';
import type { AoPaths } from '../contracts/plugin.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { AoError } from '../errors.js';
import { mkdirPrivate } from '../sessions/fs-atomic.js';
import { withFileLock } from '../sessions/lock.js';
import { countsAgainstLimit, type Session, type SessionEvent } from '../sessions/schema.js';

/** Free memory in MiB. Injected in tests; `systemFreeMemoryMb` otherwise. */
export type FreeMemoryReader = () => number;

/** What the kernel says is available (MemAvailable on Linux), in MiB. */
export const systemFreeMemoryMb: FreeMemoryReader = () => Math.floor(freemem() / 1_048_576);

export const DEFAULT_PRIORITY = 5;

/** Why a session of some agent cannot start now. */
export interface Blocked {
  reason: 'count' | 'memory' | 'agent';
  /** One sentence naming the limit, its value and the config file. */
  message: string;
}

/**
 * Whether one more session of `agent` may start next to `sessions` (every session, any status):
 * `limits.maxConcurrentSessions`, then `limits.minFreeMemoryMb` against `freeMb`, then
 * `agents.<agent>.maxConcurrent`. Pure: the caller holds the spawn lock and reads memory once.
 */
export function blockedBy(config: ResolvedConfig, sessions: readonly Session[], agent: string, freeMb: number): Blocked | undefined {
  const running = sessions.filter(countsAgainstLimit);
  const limit = config.limits.maxConcurrentSessions;
  if (running.length >= limit) {
    return { reason: 'count', message: countLimitMessage(running.length, limit, config.file) };
  }
  const minFree = config.limits.minFreeMemoryMb;
  if (minFree > 0 && freeMb < minFree) {
    return { reason: 'memory', message: `${freeMb} MiB of memory is free and limits.minFreeMemoryMb is ${minFree} (${config.file})` };
  }
  const agentLimit = config.agentMaxConcurrent[agent];
  if (agentLimit !== undefined) {
    const ofAgent = running.filter((s) => s.agent === agent).length;
    if (ofAgent >= agentLimit) {
      return { reason: 'agent', message: `${ofAgent} ${agent} session${ofAgent === 1 ? ' is' : 's are'} already running and agents.${agent}.maxConcurrent is ${agentLimit} (${config.file})` };
    }
  }
  return undefined;
}

export function countLimitMessage(running: number, limit: number, configFile: string): string {
  return `${running} session${running === 1 ? ' is' : 's are'} already running and limits.maxConcurrentSessions is ${limit} (${configFile})`;
}

/**
 * Runs `fn` holding the data dir's spawn lock: the one lock under which sessions are counted,
 * recorded, queued and admitted, so spawns and admissions in any number of processes never
 * together exceed a limit. Keep `fn` to reads and records; workspaces and agents start after it.
 */
export async function withSpawnLock<T>(paths: AoPaths, fn: () => Promise<T>): Promise<T> {
  await mkdirPrivate(paths.home);
  // One short critical section at a time; 20 spawns at once on a busy machine wait seconds.
  return withFileLock(join(paths.home, 'spawn.lock'), fn, { timeoutMs: 60_000 });
}

/** The `--no-queue` refusal: `SESSION_LIMIT`, naming the limit that was hit. */
export function blockedError(blocked: Blocked): AoError {
  const remedy =
    blocked.reason === 'memory'
      ? 'free some memory (stop a session with `ao session kill <id>`) or lower the limit'
      : 'wait for one to finish, stop one with `ao session kill <id>`, or raise the limit';
  return new AoError('SESSION_LIMIT', `${blocked.message}: ${remedy}`, { details: { reason: blocked.reason } });
}

/** Queued sessions in the order they are admitted: priority 10 first, then first come first served. */
export function queueOrder(sessions: readonly Session[]): Session[] {
  return sessions
    .filter((s) => s.status === 'queued')
    .map((s, index) => ({ s, index }))
    .sort((a, b) => (b.s.priority ?? DEFAULT_PRIORITY) - (a.s.priority ?? DEFAULT_PRIORITY) || (a.s.createdAt < b.s.createdAt ? -1 : a.s.createdAt > b.s.createdAt ? 1 : a.index - b.index))
    .map(({ s }) => s);
}

/** `--priority` as typed: an integer 1..10, else `USAGE`. */
export function parsePriority(value: string | number | undefined): number {
  if (value === undefined) return DEFAULT_PRIORITY;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10) {
    throw new AoError('USAGE', `--priority must be a whole number from 1 (lowest) to 10 (highest), not "${value}"`, { exitCode: 2 });
  }
  return n;
}

/** Events that move a session into or out of the queue: the last one says where it stands. */
const QUEUE_MOVES: readonly string[] = ['session.queued', 'queue.admitted', 'queue.requeued'];

/**
 * Whether `session` was admitted from the queue and not started yet: `spawning`, no runtime, and
 * its last queue move is the admission. Other events may follow the admission (a plan's
 * `plan.step`, written by another process in between), so the session's last event is not the test.
 */
export function awaitingStart(session: Session, events: readonly SessionEvent[]): boolean {
  if (session.status !== 'spawning' || session.runtime) return false;
  return events.filter((e) => QUEUE_MOVES.includes(e.type)).at(-1)?.type === 'queue.admitted';
}
