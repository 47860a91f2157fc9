/**
 * What tokens cost: a price table per model, in US dollars per million tokens, with the providers'
 * list prices built in and `pricing:` in the config on top. A model is found by its exact name,
 * then without a provider prefix (`anthropic/claude-sonnet-4` → `claude-sonnet-4`), then by the
 * longest table key it starts with (`claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`); config
 * entries are searched before the built-in ones.
 */
import { z } from 'zod';
import type { TokenCounts } from '../contracts/agent.js';
import type { SessionUsage } from './schema.js';

export const ModelPriceSchema = z
  .object({
    /** Per million input tokens not read from the cache. */
    input: z.number().nonnegative(),
    /** Per million output tokens. */
    output: z.number().nonnegative(),
    /** Per million input tokens read from the cache; default: the input price. */
    cacheRead: z.number().nonnegative().optional(),
    /** Per million input tokens written to the cache; default: the input price. */
    cacheWrite: z.number().nonnegative().optional(),
  })
  .strict();
export type ModelPrice = z.infer<typeof ModelPriceSchema>;

/** `pricing:` in agent-orchestrator.yaml: model name (or prefix) → price. */
export const PricingSchema = z.record(z.string().min(1), ModelPriceSchema);
export type Pricing = z.infer<typeof PricingSchema>;

/**
 * The providers' list prices (USD per million tokens) for the models the agent CLIs use by default.
 * Prices change: set `pricing:` in the config to correct one or add a model; it wins over these.
 */
export const DEFAULT_PRICING: Readonly<Pricing> = {
  // Anthropic (cache writes priced at the 5-minute rate).
  'claude-opus-4-5': { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 },
  'claude-opus-4-1': { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  'claude-opus-4': { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  'claude-sonnet-4-5': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-sonnet-4': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-3-7-sonnet': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-haiku-4-5': { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cacheRead: 0.08, cacheWrite: 1 },
  // OpenAI (cached input at the provider's cached rate; no separate cache-write charge).
  'gpt-5': { input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 1.25 },
  'gpt-5-codex': { input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 1.25 },
  'gpt-5-mini': { input: 0.25, output: 2, cacheRead: 0.025, cacheWrite: 0.25 },
  'gpt-5-nano': { input: 0.05, output: 0.4, cacheRead: 0.005, cacheWrite: 0.05 },
  'gpt-4.1': { input: 2, output: 8, cacheRead: 0.5, cacheWrite: 2 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cacheRead: 0.1, cacheWrite: 0.4 },
  o3: { input: 2, output: 8, cacheRead: 0.5, cacheWrite: 2 },
  'o4-mini': { input: 1.1, output: 4.4, cacheRead: 0.275, cacheWrite: 1.1 },
};

function lookup(table: Readonly<Pricing>, model: string): ModelPrice | undefined {
  if (Object.hasOwn(table, model)) return table[model];
  let best: string | undefined;
  for (const key of Object.keys(table)) if (model.startsWith(key) && (best === undefined || key.length > best.length)) best = key;
  return best !== undefined ? table[best] : undefined;
}

/** The price of `model`: the config's `pricing` first, then the built-in list; undefined when neither knows it. */
export function priceOf(model: string, pricing: Readonly<Pricing> = {}): ModelPrice | undefined {
  const names = [model];
  const slash = model.lastIndexOf('/');
  if (slash >= 0) names.push(model.slice(slash + 1));
  for (const table of [pricing, DEFAULT_PRICING]) {
    for (const name of names) {
      const price = lookup(table, name);
      if (price) return price;
    }
  }
  return undefined;
}

/** US dollars for `tokens` at `price`. */
export function costOfTokens(tokens: TokenCounts, price: ModelPrice): number {
  return (
    (tokens.input * price.input +
      tokens.output * price.output +
      tokens.cacheRead * (price.cacheRead ?? price.input) +
      tokens.cacheWrite * (price.cacheWrite ?? price.input)) /
    1_000_000
  );
}

export interface UsageCost {
  /** US dollars; null when no model of the usage has a price and the CLI recorded no cost. */
  usd: number | null;
  /** Models with tokens but no price (their tokens are not in `usd`, unless `source` is `cli`). */
  unpriced: string[];
  /** `table`: priced here from the price table; `cli`: what the agent CLI computed, used when the table lacks a model. */
  source: 'table' | 'cli' | null;
}

/**
 * Prices a session's usage. Each model by the table; when some model is unknown to the table and
 * the CLI recorded its own cost (OpenCode does), that cost is used for the whole session instead.
 */
export function costOfUsage(usage: SessionUsage | null | undefined, pricing: Readonly<Pricing> = {}): UsageCost {
  if (!usage) return { usd: null, unpriced: [], source: null };
  let usd = 0;
  let priced = false;
  const unpriced: string[] = [];
  for (const [model, tokens] of Object.entries(usage.byModel)) {
    const price = priceOf(model, pricing);
    if (price) {
      usd += costOfTokens(tokens, price);
      priced = true;
    } else if (tokens.input + tokens.output + tokens.cacheRead + tokens.cacheWrite > 0) {
      unpriced.push(model === '' ? '(unknown model)' : model);
    }
  }
  if (unpriced.length > 0 && usage.cliCostUsd !== undefined) return { usd: usage.cliCostUsd, unpriced, source: 'cli' };
  return { usd: priced ? usd : null, unpriced, source: priced ? 'table' : null };
}
