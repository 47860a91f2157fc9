/**
 * Keeping a session's token usage current: the lifecycle poll and `ao status` ask the agent
 * plugin for a reading after its activity, and a reading with news becomes a `usage.updated`
 * event. The plugin reads only what its log gained since the cursor stored with the last reading,
 * so a poll over many sessions stays a stat and a small read each.
 */
import type { Agent, AgentLogProbe, TraceReading, UsageReading } from '../contracts/agent.js';
import type { Session } from '../sessions/schema.js';
import type { SessionStore } from '../sessions/store.js';
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
 * Reads the agent's usage for `session` and records it when the tokens changed. Returns the
 * updated session, or undefined when there is nothing new (or the agent records no usage). A log
 * the agent cannot read is no error here: usage is a report, never a reason for a poll to fail.
 */
export async function refreshUsage(agent: Agent, session: Session, store: SessionStore, now: number): Promise<Session | undefined> {
  if (!agent.readUsage) return undefined;
  const previous = session.usageLogs ?? {};
  let reading: UsageReading | undefined;
  try {
    reading = await agent.readUsage({ ...logProbe(session, now), previous });
  } catch {
    return undefined;
  }
  if (!reading || sameTokens(previous[reading.log], reading)) return undefined;
  const logs = { ...previous, [reading.log]: reading };
  const usage = usageTotals(logs, new Date(now).toISOString());
  return store.update(session.project, session.id, 'usage.updated', { usage, usageLogs: logs }, { log: reading.log });
}

/** The conversation of `session` from its agent's own log, after `after` (see `Agent.readTrace`). */
export async function readSessionTrace(agent: Agent, session: Session, now: number, after?: TraceReading['cursor']): Promise<TraceReading | undefined> {
  if (!agent.readTrace) return undefined;
  return agent.readTrace({ ...logProbe(session, now), ...(after ? { after } : {}) });
}
