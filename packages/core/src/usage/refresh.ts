/**
 * Keeping a session's token usage current: the lifecycle poll asks the agent plugin for a reading
 * after its activity, and a reading with news becomes a `usage.updated` event (`ao status` shows
 * the same reading without recording it). The plugin reads only what its log gained since the cursor stored with the last reading,
 * so a poll over many sessions stays a stat and a small read each.
 */
import type { Agent, AgentLogProbe, TraceReading, UsageReading } from '../contracts/agent.js';
import type { Session } from '../sessions/schema.js';
import type { SessionStore } from '../sessions/store.js';
import type { SessionUsage } from './schema.js';
import { usageTotals } from './totals.js';

/** The probe for `readUsage` / `readTrace` of `session`. */
export function logProbe(session: Session, now: number): AgentLogProbe {
  return {
    workspacePath: session.workspacePath,
    startedAt: Date.parse(session.startedAt ?? session.createdAt),
    now,
    ...(session.nativeSessionId ? { nativeSessionId: session.nativeSessionId } : {}),
  };
}

const sameTokens = (a: UsageReading | undefined, b: UsageReading): boolean =>
  a !== undefined && JSON.stringify(a.byModel) === JSON.stringify(b.byModel) && a.costUsd === b.costUsd;

/**
 * The agent's usage for `session` when its tokens changed since the last recorded reading, or
 * undefined when there is nothing new (or the agent records no usage). Reads only: `ao status`
 * shows it, `refreshUsage` records it. A log the agent cannot read is no error here: usage is a
 * report, never a reason for a poll to fail.
 */
export async function readUsageChange(agent: Agent, session: Session, now: number): Promise<{ usage: SessionUsage; usageLogs: Record<string, UsageReading>; log: string } | undefined> {
  if (!agent.readUsage) return undefined;
  const previous = session.usageLogs ?? {};
  let reading: UsageReading | undefined;
  try {
    reading = await agent.readUsage({ ...logProbe(session, now), previous });
  } catch {
    return undefined;
  }
  if (!reading || sameTokens(previous[reading.log], reading)) return undefined;
  const usageLogs = { ...previous, [reading.log]: reading };
  return { usage: usageTotals(usageLogs, new Date(now).toISOString()), usageLogs, log: reading.log };
}

/** Reads the agent's usage for `session` and records it (`usage.updated`) when the tokens changed; see `readUsageChange`. */
export async function refreshUsage(agent: Agent, session: Session, store: SessionStore, now: number): Promise<Session | undefined> {
  const change = await readUsageChange(agent, session, now);
  if (!change) return undefined;
  return store.update(session.project, session.id, 'usage.updated', { usage: change.usage, usageLogs: change.usageLogs }, { log: change.log });
}

/** The conversation of `session` from its agent's own log, after `after` (see `Agent.readTrace`). */
export async function readSessionTrace(agent: Agent, session: Session, now: number, after?: TraceReading['cursor']): Promise<TraceReading | undefined> {
  if (!agent.readTrace) return undefined;
  return agent.readTrace({ ...logProbe(session, now), ...(after ? { after } : {}) });
}
