import type { Session, SessionEvent, SessionEventInput } from './schema.js';

/**
 * Folds events onto a snapshot: each event's `set` is merged field by field (shallow: a `set.pr`
 * replaces the whole `pr`), and every event stamps `updatedAt` and `lastEvent`. Pure, so the
 * lifecycle can preview a transition; the store validates the result before writing anything.
 */
export function applyEvents(session: Session, events: readonly SessionEvent[]): Session {
  let next: Session = session;
  for (const event of events) {
    next = { ...next, ...(event.set as Partial<Session> | undefined), updatedAt: event.ts, lastEvent: { type: event.type, ts: event.ts } };
  }
  return next;
}

/** An input event as logged: stamped with `ts` (now, unless given), only the fields it has. */
export function toEvent(input: SessionEventInput, nowIso: () => string): SessionEvent {
  const event: SessionEvent = { ts: input.ts ?? nowIso(), type: input.type };
  if (input.data !== undefined) event.data = input.data;
  if (input.set !== undefined) event.set = input.set as Record<string, unknown>;
  if (input.key !== undefined) event.key = input.key;
  return event;
}
