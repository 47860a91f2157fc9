/**
 * The conversation of an OpenCode session, from its database's `part` rows (see db.ts) in order:
 * the user's `text` parts, the assistant's `text` and `reasoning` parts, and each `tool` part as a
 * call (its input) and, once finished, a result (its output, or its error). A part still being
 * written (text without an end time, a tool still pending or running) ends the read: `--follow`
 * picks it up, whole, on a later read.
 */
import { realpath } from 'node:fs/promises';
import type { LogCursor, TraceEntry, TraceProbe, TraceReading } from '@ao/core/plugin';
import { newestSession, withOpencodeDb } from './db.js';

interface PartRow {
  id: string;
  time_created: number;
  role: string | null;
  data: string;
}

/** The trace entries of one part, or `undefined` while it is still being written. */
export function opencodePartEntries(role: string, data: Record<string, unknown>, ts: string): TraceEntry[] | undefined {
  const time = data.time as { end?: number } | undefined;
  switch (data.type) {
    case 'text':
    case 'reasoning': {
      if (role === 'assistant' && time !== undefined && time.end === undefined) return undefined;
      const text = typeof data.text === 'string' ? data.text : '';
      if (text.trim() === '' || data.synthetic === true) return [];
      return [{ ts, kind: data.type === 'reasoning' ? 'reasoning' : role === 'user' ? 'user' : 'assistant', text }];
    }
    case 'tool': {
      const state = (data.state ?? {}) as { status?: string; input?: unknown; output?: unknown; error?: unknown };
      if (state.status !== 'completed' && state.status !== 'error') return undefined;
      const tool = typeof data.tool === 'string' ? data.tool : '?';
      const call = typeof data.callID === 'string' ? { callId: data.callID } : {};
      const result = state.status === 'error' ? String(state.error ?? 'error') : typeof state.output === 'string' ? state.output : JSON.stringify(state.output ?? '');
      return [
        { ts, kind: 'tool_call', tool, text: JSON.stringify(state.input ?? {}), ...call },
        { ts, kind: 'tool_result', tool, text: result, ...call, ...(state.status === 'error' ? { isError: true } : {}) },
      ];
    }
    default:
      return [];
  }
}

/** The conversation of the workspace's newest OpenCode session in database `path`, after `probe.after`. */
export async function readOpencodeTrace(path: string, probe: TraceProbe): Promise<TraceReading | undefined> {
  const dirs = [...new Set([probe.workspacePath, await realpath(probe.workspacePath).catch(() => probe.workspacePath)])];
  return withOpencodeDb(path, (db) => {
    const session = newestSession(db, dirs, probe.startedAt - 2_000);
    if (!session) return undefined;
    const log = `${path}#${session.id}`;
    const after = probe.after?.log === log ? probe.after : undefined;
    const t = typeof after?.t === 'number' ? after.t : -1;
    const id = typeof after?.id === 'string' ? after.id : '';
    const rows = db
      .prepare(
        "select p.id, p.time_created, json_extract(m.data, '$.role') as role, p.data from part p join message m on m.id = p.message_id where p.session_id = ? and (p.time_created > ? or (p.time_created = ? and p.id > ?)) order by p.time_created, p.id",
      )
      .all(session.id, t, t, id) as PartRow[];
    const entries: TraceEntry[] = [];
    let cursor: LogCursor = { log, t, id };
    for (const row of rows) {
      let data: Record<string, unknown>;
      try {
        data = JSON.parse(row.data) as Record<string, unknown>;
      } catch {
        continue;
      }
      const got = opencodePartEntries(row.role ?? '', data, new Date(row.time_created).toISOString());
      if (got === undefined) break;
      entries.push(...got);
      cursor = { log, t: row.time_created, id: row.id };
    }
    return { log, entries, cursor };
  });
}
