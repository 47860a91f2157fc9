/**
 * Tokens from Claude Code's transcript. Each assistant record carries the API's `message.usage`
 * (`input_tokens`, `output_tokens`, `cache_read_input_tokens`, `cache_creation_input_tokens`) and
 * `message.model`; Claude Code writes one record per content block, each repeating the usage of
 * the whole message, so records are counted once per `message.id` (the last one wins: it is the
 * most complete while a reply streams). Read incrementally: the cursor holds the byte offset and
 * the last message counted, so a poll reads only the lines appended since the previous one.
 */
import { asJsonObject, jsonString, readJsonlFrom, type LogCursor, type TokenCounts, type UsageReading } from '@ao/core/plugin';

const ZERO: TokenCounts = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

function add(byModel: Record<string, TokenCounts>, model: string, t: TokenCounts, sign: 1 | -1): void {
  const c = byModel[model] ?? ZERO;
  byModel[model] = { input: c.input + sign * t.input, output: c.output + sign * t.output, cacheRead: c.cacheRead + sign * t.cacheRead, cacheWrite: c.cacheWrite + sign * t.cacheWrite };
}

/** The usage of one transcript record, with its message id and model; undefined for records without usage. */
export function claudeRecordUsage(entry: unknown): { id: string; model: string; tokens: TokenCounts } | undefined {
  const record = asJsonObject(entry);
  if (jsonString(record, 'type') !== 'assistant') return undefined;
  const message = asJsonObject(record?.message);
  const usage = asJsonObject(message?.usage);
  if (!message || !usage) return undefined;
  const model = jsonString(message, 'model') ?? '';
  // Claude Code's own placeholder for failed turns: no request was billed.
  if (model === '<synthetic>') return undefined;
  const id = jsonString(message, 'id') ?? jsonString(record, 'uuid') ?? '';
  return {
    id,
    model,
    tokens: {
      input: num(usage.input_tokens),
      output: num(usage.output_tokens),
      cacheRead: num(usage.cache_read_input_tokens),
      cacheWrite: num(usage.cache_creation_input_tokens),
    },
  };
}

/**
 * The tokens transcript `path` records, continuing `previous` (this log's last reading) from its
 * cursor. Rejects when the file cannot be read.
 */
export async function readClaudeUsage(path: string, previous?: UsageReading): Promise<UsageReading> {
  const c = previous?.cursor ?? {};
  const from = typeof c.offset === 'number' ? c.offset : 0;
  const chunk = await readJsonlFrom(path, from);
  // The file was replaced (shorter than where we stopped): count it again from the start.
  const restarted = chunk.size < from;
  const byModel: Record<string, TokenCounts> = restarted ? {} : { ...(previous?.byModel ?? {}) };
  let lastId = restarted ? '' : typeof c.lastId === 'string' ? c.lastId : '';
  let lastModel = typeof c.lastModel === 'string' ? c.lastModel : '';
  let last: TokenCounts = restarted ? ZERO : { input: num(c.li), output: num(c.lo), cacheRead: num(c.lcr), cacheWrite: num(c.lcw) };
  for (const { value } of chunk.entries) {
    const u = claudeRecordUsage(value);
    if (!u) continue;
    if (u.id !== '' && u.id === lastId) add(byModel, lastModel, last, -1);
    add(byModel, u.model, u.tokens, 1);
    lastId = u.id;
    lastModel = u.model;
    last = u.tokens;
  }
  const cursor: LogCursor = { offset: chunk.next, lastId, lastModel, li: last.input, lo: last.output, lcr: last.cacheRead, lcw: last.cacheWrite };
  return { log: path, byModel, cursor };
}
