import type { TokenCounts, UsageReading } from '../contracts/agent.js';
import type { SessionUsage } from './schema.js';

export const ZERO_TOKENS: TokenCounts = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };

export function addTokens(a: TokenCounts, b: TokenCounts): TokenCounts {
  return { input: a.input + b.input, output: a.output + b.output, cacheRead: a.cacheRead + b.cacheRead, cacheWrite: a.cacheWrite + b.cacheWrite };
}

export function subtractTokens(a: TokenCounts, b: TokenCounts): TokenCounts {
  return { input: a.input - b.input, output: a.output - b.output, cacheRead: a.cacheRead - b.cacheRead, cacheWrite: a.cacheWrite - b.cacheWrite };
}

/** Every token of every kind. */
export function tokenTotal(t: TokenCounts): number {
  return t.input + t.output + t.cacheRead + t.cacheWrite;
}

/** The session's usage: the sum of its logs' readings. */
export function usageTotals(logs: Readonly<Record<string, UsageReading>>, updatedAt: string): SessionUsage {
  const byModel: Record<string, TokenCounts> = {};
  let total = ZERO_TOKENS;
  let cliCost: number | undefined;
  for (const reading of Object.values(logs)) {
    for (const [model, counts] of Object.entries(reading.byModel)) {
      byModel[model] = addTokens(byModel[model] ?? ZERO_TOKENS, counts);
      total = addTokens(total, counts);
    }
    if (reading.costUsd !== undefined) cliCost = (cliCost ?? 0) + reading.costUsd;
  }
  return { ...total, byModel, ...(cliCost !== undefined ? { cliCostUsd: cliCost } : {}), updatedAt };
}

/**
 * What `current` added over `baseline` (an earlier usage of the same session), per model: the
 * tokens of a time window (`ao cost --since`). A model missing from `baseline` counts whole.
 */
export function usageSince(current: SessionUsage, baseline: SessionUsage | undefined): SessionUsage {
  if (!baseline) return current;
  const byModel: Record<string, TokenCounts> = {};
  let total = ZERO_TOKENS;
  for (const [model, counts] of Object.entries(current.byModel)) {
    const before = baseline.byModel[model] ?? ZERO_TOKENS;
    const diff = subtractTokens(counts, before);
    const clamped = { input: Math.max(0, diff.input), output: Math.max(0, diff.output), cacheRead: Math.max(0, diff.cacheRead), cacheWrite: Math.max(0, diff.cacheWrite) };
    byModel[model] = clamped;
    total = addTokens(total, clamped);
  }
  const cli = current.cliCostUsd !== undefined ? { cliCostUsd: Math.max(0, current.cliCostUsd - (baseline.cliCostUsd ?? 0)) } : {};
  return { ...total, byModel, ...cli, updatedAt: current.updatedAt };
}
