import type { Clock } from '../contracts/plugin.js';
import type { FollowOptions, StoreProblem } from './event-log.js';
import type { Session, SessionEvent, SessionEventInput } from './schema.js';

export interface SessionStoreOptions {
  /** Stamps event `ts`. Lock timing always uses the real clock (lock files are shared). */
  clock?: Clock;
  /** How long `withLock` waits for a busy session before `LOCK_TIMEOUT`. Default 5 s. */
  lockTimeoutMs?: number;
  /** Age after which a lock is broken even if its holder lives. Default 30 s. */
  lockStaleMs?: number;
}

/** The files of one session, for messages and tools that must name them. */
export interface SessionFiles {
  snapshot: string;
  log: string;
  lock: string;
}

export interface AppendResult {
  session: Session;
  /** The events actually written: inputs whose `key` was already in the log are left out. */
  appended: SessionEvent[];
}

export interface SessionList {
  sessions: Session[];
  /** Files that could not be read; each was skipped and every other session still listed. */
  problems: StoreProblem[];
  /** Snapshots that were corrupt or missing and have been rebuilt from their logs (only when any were). */
  rebuilt?: RebuiltSnapshot[];
}

/** A snapshot `list` rewrote from its event log: `path` was `reason`, `log` is where it came from. */
export interface RebuiltSnapshot {
  path: string;
  log: string;
  reason: string;
}

/**
 * The one place session state is kept: `<id>.events.jsonl` (the truth, append-only) and
 * `<id>.json` (its fold, cached for fast reads) under `paths.sessions(project)`.
 * Every write happens under the per-session lock, so any number of processes may share it.
 */
export interface SessionStore {
  /** `<prefix>-<n>`, n one above any id the project ever used (archive included); unique across processes. */
  reserveId(project: string, prefix: string): Promise<string>;
  /** Records a new session (its id reserved or not) with a `session.created` event. */
  create(project: string, session: Session): Promise<Session>;
  /** Appends events (skipping already-logged `key`s), folds them and rewrites the snapshot. */
  append(project: string, id: string, events: readonly SessionEventInput[]): Promise<Session>;
  appendWithResult(project: string, id: string, events: readonly SessionEventInput[]): Promise<AppendResult>;
  /** One event: `type` plus the fields it sets. */
  update(project: string, id: string, type: string, set: Partial<Session>, data?: Record<string, unknown>): Promise<Session>;
  /** The snapshot; rebuilt from the log (and rewritten) when it is missing or corrupt. */
  get(project: string, id: string): Promise<Session>;
  /** Looks the id up in every project. */
  find(id: string): Promise<Session>;
  /** Every session of one project, or of all; unreadable snapshots land in `problems`. */
  list(project?: string): Promise<SessionList>;
  /** The event log, oldest first; `since` keeps events with `ts` at or after it (epoch ms). */
  events(project: string, id: string, options?: { since?: number }): Promise<SessionEvent[]>;
  /** Like `events`, plus the corrupt lines that were skipped. */
  readLog(project: string, id: string, options?: { since?: number }): Promise<{ events: SessionEvent[]; problems: StoreProblem[] }>;
  /** Tails the log until `signal` aborts (see `followEventLog`). */
  follow(
    project: string,
    id: string,
    onEvent: (event: SessionEvent) => void | Promise<void>,
    signal: AbortSignal,
    options?: FollowOptions,
  ): Promise<void>;
  /**
   * Appends `session.archived`, then moves snapshot and log into `archive/`; the id stays used.
   * A reserved id that was never created has only its empty log moved.
   */
  archive(project: string, id: string): Promise<void>;
  /** Runs `fn` holding the session lock; re-entrant within one call chain. */
  withLock<T>(project: string, id: string, fn: () => Promise<T>): Promise<T>;
  files(project: string, id: string): SessionFiles;
}
