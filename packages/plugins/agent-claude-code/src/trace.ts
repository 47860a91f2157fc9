/**
 * The conversation from Claude Code's transcript, for `ao session trace` and the dashboard:
 * `user` records (typed prompts; `tool_result` blocks), `assistant` records (`text`, `thinking`,
 * `tool_use` blocks; `isApiErrorMessage` for failed turns). Meta records (`isMeta`: context Claude
 * Code injects) and non-conversation records (snapshots, modes) are left out.
 */
import { asJsonObject, jsonString, readJsonlFrom, type LogCursor, type TraceEntry, type TraceReading } from '@ao/core/plugin';

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (typeof part === 'string' ? part : (jsonString(asJsonObject(part), 'text') ?? '')))
    .filter((t) => t !== '')
    .join('\n');
}

/** The trace entries of one transcript record. */
export function claudeTraceEntries(entry: unknown, toolNames: Map<string, string>): TraceEntry[] {
  const record = asJsonObject(entry);
  const type = jsonString(record, 'type');
  if (!record || (type !== 'user' && type !== 'assistant') || record.isMeta === true) return [];
  const ts = jsonString(record, 'timestamp');
  const at = ts ? { ts } : {};
  const content = asJsonObject(record.message)?.content;
  if (type === 'assistant' && record.isApiErrorMessage === true) return [{ ...at, kind: 'error', text: text(content) }];
  if (typeof content === 'string') return content.trim() === '' ? [] : [{ ...at, kind: type, text: content }];
  if (!Array.isArray(content)) return [];
  const out: TraceEntry[] = [];
  for (const part of content) {
    const block = asJsonObject(part);
    switch (jsonString(block, 'type')) {
      case 'text': {
        const t = jsonString(block, 'text') ?? '';
        if (t.trim() !== '') out.push({ ...at, kind: type, text: t });
        break;
      }
      case 'thinking': {
        const t = jsonString(block, 'thinking') ?? '';
        if (t.trim() !== '') out.push({ ...at, kind: 'reasoning', text: t });
        break;
      }
      case 'tool_use': {
        const name = jsonString(block, 'name') ?? '?';
        const id = jsonString(block, 'id');
        if (id) toolNames.set(id, name);
        out.push({ ...at, kind: 'tool_call', tool: name, text: JSON.stringify(block?.input ?? {}), ...(id ? { callId: id } : {}) });
        break;
      }
      case 'tool_result': {
        const id = jsonString(block, 'tool_use_id');
        const tool = id ? toolNames.get(id) : undefined;
        out.push({ ...at, kind: 'tool_result', text: text(block?.content), ...(tool ? { tool } : {}), ...(id ? { callId: id } : {}), ...(block?.is_error === true ? { isError: true } : {}) });
        break;
      }
      default:
        break;
    }
  }
  return out;
}

/** The conversation in transcript `path` after `after` (a cursor from an earlier read), to its end. */
export async function readClaudeTrace(path: string, after?: LogCursor): Promise<TraceReading> {
  let offset = after?.log === path && typeof after.offset === 'number' ? after.offset : 0;
  const toolNames = new Map<string, string>();
  const entries: TraceEntry[] = [];
  for (;;) {
    const chunk = await readJsonlFrom(path, offset);
    for (const { value } of chunk.entries) entries.push(...claudeTraceEntries(value, toolNames));
    const done = chunk.next === offset || chunk.next >= chunk.size;
    offset = chunk.next;
    if (done) break;
  }
  // Claude Code sometimes writes a prompt's record after the reply to it: show them in time order.
  entries.sort((a, b) => (a.ts && b.ts ? Date.parse(a.ts) - Date.parse(b.ts) : 0));
  return { log: path, entries, cursor: { log: path, offset } };
}
