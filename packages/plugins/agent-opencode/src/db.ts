/**
 * OpenCode 1.x's storage: one SQLite database, `<data dir>/opencode.db` (WAL mode), with tables
 * `session` (`id`, `directory`, `parent_id`, `model` as JSON `{ id, providerID }`, running totals
 * `tokens_input`, `tokens_output`, `tokens_reasoning`, `tokens_cache_read`, `tokens_cache_write`,
 * `cost`, `time_updated`), `message` (`session_id`, `data` JSON with `role`) and `part`
 * (`message_id`, `session_id`, `time_created`, `data` JSON: `text`, `reasoning`, `tool` with
 * `state { status, input, output | error }`, `step-start`, `step-finish`). Verified against
 * OpenCode 1.18.33's database. Read with better-sqlite3, an optional dependency (a native module
 * compiled at install): without it, OpenCode sessions have no tokens and no trace.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

interface Statement {
  all(...params: unknown[]): unknown[];
  get(...params: unknown[]): unknown;
}
export interface OpencodeDb {
  prepare(sql: string): Statement;
  close(): void;
}
type DbConstructor = new (path: string, options: { readonly: boolean; fileMustExist: boolean; timeout: number }) => OpencodeDb;

let loading: Promise<DbConstructor | undefined> | undefined;

/** better-sqlite3's constructor, or undefined when it is not installed (or does not load on this Node). */
export function loadSqlite(): Promise<DbConstructor | undefined> {
  loading ??= import('better-sqlite3' as string).then(
    (m: { default?: DbConstructor }) => m.default,
    () => undefined,
  );
  return loading;
}

export function opencodeDbPath(dataDir: string): string {
  return join(dataDir, 'opencode.db');
}

/** Size and mtime of the database and its WAL: when neither changed, nothing in it did. */
export async function dbVersion(path: string): Promise<string | undefined> {
  const main = await stat(path).catch(() => undefined);
  if (!main) return undefined;
  const wal = await stat(`${path}-wal`).catch(() => undefined);
  return `${main.size}:${main.mtimeMs}:${wal?.size ?? 0}:${wal?.mtimeMs ?? 0}`;
}

/**
 * Runs `fn` on a read-only connection (a busy database waits at most 250 ms); undefined without
 * better-sqlite3, or when OpenCode has not created its database (yet).
 */
export async function withOpencodeDb<T>(path: string, fn: (db: OpencodeDb) => T): Promise<T | undefined> {
  const Database = await loadSqlite();
  if (!Database) return undefined;
  if (!(await stat(path).catch(() => undefined))) return undefined;
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 250 });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export interface OpencodeSessionRow {
  id: string;
  model: string | null;
  tokens_input: number;
  tokens_output: number;
  tokens_reasoning: number;
  tokens_cache_read: number;
  tokens_cache_write: number;
  cost: number;
}

/** The newest top-level conversation in one of `directories`, updated since `since` (ms). */
export function newestSession(db: OpencodeDb, directories: readonly string[], since: number): OpencodeSessionRow | undefined {
  const marks = directories.map(() => '?').join(', ');
  return db
    .prepare(`select id, model, tokens_input, tokens_output, tokens_reasoning, tokens_cache_read, tokens_cache_write, cost from session where directory in (${marks}) and parent_id is null and time_updated >= ? order by time_updated desc limit 1`)
    .get(...directories, since) as OpencodeSessionRow | undefined;
}

/** The conversations OpenCode started for `id` (subagents), whose tokens are the session's too. */
export function childSessions(db: OpencodeDb, id: string): OpencodeSessionRow[] {
  return db
    .prepare('select id, model, tokens_input, tokens_output, tokens_reasoning, tokens_cache_read, tokens_cache_write, cost from session where parent_id = ?')
    .all(id) as OpencodeSessionRow[];
}
