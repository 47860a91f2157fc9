/**
 * The conversation from a Codex rollout: `response_item` lines are what the model saw and said
 * (`message` by role, `reasoning` summaries, `function_call` / `custom_tool_call` /
 * `local_shell_call` and their `*_output`); `event_msg` `error` is a failed turn. The context Codex
 * injects as user or developer messages (`<environment_context>`, instructions, AGENTS.md) is left out.
 */
import { asJsonObject, jsonString, readJsonlFrom, type LogCursor, type TraceEntry, type TraceReading } from '@ao/core/plugin';

const INJECTED = /^\s*(?:<(?:environment_context|user_instructions|skills_instructions|permissions instructions|turn_aborted)\b|# AGENTS\.md instructions)/;

function partsText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p) => jsonString(asJsonObject(p), 'text') ?? '')
    .filter((t) => t !== '')
    .join('\n');
}

/** The trace entries of one rollout line. */
export function codexTraceEntries(entry: unknown, toolNames: Map<string, string>): TraceEntry[] {
  const line = asJsonObject(entry);
  const payload = asJsonObject(line?.payload);
  if (!line || !payload) return [];
  const ts = jsonString(line, 'timestamp');
  const at = ts ? { ts } : {};
  const type = jsonString(payload, 'type');
  if (line.type === 'event_msg') return type === 'error' ? [{ ...at, kind: 'error', text: jsonString(payload, 'message') ?? 'error' }] : [];
  if (line.type !== 'response_item') return [];
  const callId = jsonString(payload, 'call_id');
  const call = callId ? { callId } : {};
  switch (type) {
    case 'message': {
      const role = jsonString(payload, 'role');
      const text = partsText(payload.content);
      if (text.trim() === '' || (role !== 'user' && role !== 'assistant') || INJECTED.test(text)) return [];
      return [{ ...at, kind: role, text }];
    }
    case 'reasoning': {
      const text = partsText(payload.summary) || partsText(payload.content);
      return text.trim() === '' ? [] : [{ ...at, kind: 'reasoning', text }];
    }
    case 'function_call':
    case 'custom_tool_call':
    case 'local_shell_call': {
      const name = jsonString(payload, 'name') ?? (type === 'local_shell_call' ? 'shell' : '?');
      if (callId) toolNames.set(callId, name);
      const input = jsonString(payload, 'arguments') ?? jsonString(payload, 'input') ?? JSON.stringify(payload.action ?? {});
      return [{ ...at, kind: 'tool_call', tool: name, text: input, ...call }];
    }
    case 'function_call_output':
    case 'custom_tool_call_output': {
      const output = payload.output;
      const text = typeof output === 'string' ? output : (jsonString(asJsonObject(output), 'content') ?? (partsText(output) || JSON.stringify(output)));
      const tool = callId ? toolNames.get(callId) : undefined;
      return [{ ...at, kind: 'tool_result', text, ...(tool ? { tool } : {}), ...call }];
    }
    default:
      return [];
  }
}

/** The conversation in rollout `path` after `after`, to its end. */
export async function readCodexTrace(path: string, after?: LogCursor): Promise<TraceReading> {
  let offset = after?.log === path && typeof after.offset === 'number' ? after.offset : 0;
  const toolNames = new Map<string, string>();
  const entries: TraceEntry[] = [];
  for (;;) {
    const chunk = await readJsonlFrom(path, offset);
    for (const { value } of chunk.entries) entries.push(...codexTraceEntries(value, toolNames));
    const done = chunk.next === offset || chunk.next >= chunk.size;
    offset = chunk.next;
    if (done) break;
  }
  return { log: path, entries, cursor: { log: path, offset } };
}
