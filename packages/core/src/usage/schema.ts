/**
 * Token usage as it is stored on a session: the readings of the agent's own logs (see the Agent
 * contract's `readUsage`), and their totals. Cost is not stored: it is priced when shown, from the
 * price table of the moment (see `pricing.ts`), so a corrected price applies to past sessions too.
 */
import { z } from 'zod';

export const TokenCountsSchema = z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cacheRead: z.number().nonnegative(),
  cacheWrite: z.number().nonnegative(),
});

export const UsageReadingSchema = z.object({
  log: z.string(),
  byModel: z.record(TokenCountsSchema),
  costUsd: z.number().nonnegative().optional(),
  cursor: z.record(z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});

/** A session's tokens: totals over every log the agent wrote for it, and per model. */
export const SessionUsageSchema = TokenCountsSchema.extend({
  byModel: z.record(TokenCountsSchema),
  /** What the CLI itself computed, summed over the logs that record a cost (OpenCode). */
  cliCostUsd: z.number().nonnegative().optional(),
  /** When the agent's log was last read with news. */
  updatedAt: z.string(),
});
export type SessionUsage = z.infer<typeof SessionUsageSchema>;
