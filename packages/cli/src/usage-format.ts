/** How tokens and dollars read in a terminal: `12.3k`, `1.2M`, `$0.42`, `?` for a price nobody knows. */
import { costOfUsage, tokenTotal, type Pricing, type Session, type UsageCost } from '@ao/core';

export function formatTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(n < 10_000_000 ? 2 : 1)}M`;
}

export function formatUsd(cost: Pick<UsageCost, 'usd' | 'unpriced'>): string {
  if (cost.usd === null) return cost.unpriced.length ? '?' : '-';
  const usd = cost.usd < 0.01 && cost.usd > 0 ? '<$0.01' : `$${cost.usd.toFixed(2)}`;
  return cost.unpriced.length ? `${usd}+?` : usd;
}

/** The tokens column of `ao status`: every token of every kind, `-` before the agent's log was read. */
export function tokensCell(session: Session): string {
  return session.usage ? formatTokens(tokenTotal(session.usage)) : '-';
}

/** A session as `--json` prints it: its cost priced now, without ao's log cursors. */
export function withCost<S extends Session>(session: S, pricing: Pricing): Omit<S, 'usageLogs'> & { cost: UsageCost } {
  const { usageLogs: _cursors, ...rest } = session;
  return { ...rest, cost: costOfUsage(session.usage, pricing) };
}
