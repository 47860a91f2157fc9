/**
 * Tokens from a Codex rollout. Codex writes `event_msg` lines of type `token_count` whose
 * `info.total_token_usage` is the conversation's running total (`input_tokens` including
 * `cached_input_tokens`, `cache_write_input_tokens`, `output_tokens` including reasoning), and
 * `turn_context` lines naming the `model`. So the last `token_count` in the file's tail is the
 * whole reading; a rollout whose size has not changed since the stored reading is not read at all.
 * The total is not split by model: a conversation that switched models is counted under the last.
 */
import { stat } from 'node:fs/promises';
import { asJsonObject, jsonString, readJsonlTail, type TokenCounts, type UsageReading } from '@ao/core/plugin';

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/** `total_token_usage` of a `token_count` event as ao's counts (cached input apart from fresh input). */
export function codexTokens(total: Record<string, unknown>): TokenCounts {
  const cached = num(total.cached_input_tokens);
  return {
    input: Math.max(0, num(total.input_tokens) - cached),
    output: num(total.output_tokens),
    cacheRead: cached,
    cacheWrite: num(total.cache_write_input_tokens),
  };
}

/** The latest running total and model in rollout lines (oldest first). */
export function codexUsageOf(entries: readonly unknown[]): { tokens?: TokenCounts; model?: string } {
  let tokens: TokenCounts | undefined;
  let model: string | undefined;
  for (let i = entries.length - 1; i >= 0 && (tokens === undefined || model === undefined); i--) {
    const line = asJsonObject(entries[i]);
    const payload = asJsonObject(line?.payload);
    if (tokens === undefined && line?.type === 'event_msg' && jsonString(payload, 'type') === 'token_count') {
      const total = asJsonObject(asJsonObject(payload?.info)?.total_token_usage);
      if (total) tokens = codexTokens(total);
    }
    if (model === undefined && line?.type === 'turn_context') model = jsonString(payload, 'model');
  }
  return { ...(tokens ? { tokens } : {}), ...(model ? { model } : {}) };
}

/** The tokens rollout `path` records, or `previous` when the file has not grown since. */
export async function readCodexUsage(path: string, previous?: UsageReading): Promise<UsageReading | undefined> {
  const { size } = await stat(path);
  if (previous && previous.cursor?.size === size) return previous;
  const tail = await readJsonlTail(path, { maxBytes: 256 * 1024 });
  const found = codexUsageOf(tail.entries);
  const lastModel = typeof previous?.cursor?.model === 'string' ? previous.cursor.model : '';
  const model = found.model ?? lastModel;
  // No running total in the tail (a long tool output after it): the last reading stands.
  if (!found.tokens) return previous;
  return { log: path, byModel: { [model]: found.tokens }, cursor: { size: tail.size, model } };
}
