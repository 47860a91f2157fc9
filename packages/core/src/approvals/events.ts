import { existsSync } from 'node:fs';
import { isAoError } from '../errors.js';
import type { SessionEvent } from '../sessions/schema.js';
import type { SessionStore } from '../sessions/store.js';
import { ApprovalSchema, type Approval } from './schema.js';

/**
 * Every change of an approval is an event in its session's log, carrying the whole approval as it
 * is after the change (`data`: id, action, status, who decided, when, why). The log is the record
 * of truth; `<AO_HOME>/approvals/<id>.json` is the queue's index of it, repaired from the log.
 */
export const APPROVAL_EVENT_TYPES = ['approval.requested', 'approval.approved', 'approval.rejected', 'approval.expired', 'approval.executed'] as const;
export type ApprovalEventType = (typeof APPROVAL_EVENT_TYPES)[number];

/** The event that records `approval` as it is now. */
export function approvalEventType(approval: Approval): ApprovalEventType {
  if (approval.executedAt) return 'approval.executed';
  return approval.status === 'pending' ? 'approval.requested' : `approval.${approval.status}`;
}

/** How far along an approval is: requested 0, decided 1, executed 2. A change only moves it forward. */
export function approvalStep(approval: Approval): number {
  if (approval.executedAt) return 2;
  return approval.status === 'pending' ? 0 : 1;
}

/** The approval an `approval.*` event records; undefined for any other event. */
export function approvalOfEvent(event: SessionEvent): Approval | undefined {
  if (!(APPROVAL_EVENT_TYPES as readonly string[]).includes(event.type)) return undefined;
  const parsed = ApprovalSchema.safeParse(event.data);
  return parsed.success ? parsed.data : undefined;
}

const gone = (error: unknown): boolean => isAoError(error) && error.code === 'SESSION_NOT_FOUND';

/**
 * Appends the event of `approval`'s current step to its session's log, keyed
 * `<type>:<id>` so a retry after a crash does not log it twice. False when the session has no
 * log (archived, or never created): there is no stream to tell, and the approval file alone
 * records the change.
 */
export async function logApproval(sessions: SessionStore, approval: Approval): Promise<boolean> {
  const type = approvalEventType(approval);
  if (!existsSync(sessions.files(approval.project, approval.sessionId).log)) return false;
  try {
    await sessions.appendWithResult(approval.project, approval.sessionId, [{ type, key: `${type}:${approval.id}`, data: { ...approval } }]);
    return true;
  } catch (error) {
    if (gone(error)) return false;
    throw error;
  }
}

/** Each approval of one session as its log last recorded it, by id. */
export async function loggedApprovals(sessions: SessionStore, project: string, sessionId: string): Promise<Map<string, Approval>> {
  const found = new Map<string, Approval>();
  let events: SessionEvent[];
  try {
    events = await sessions.events(project, sessionId);
  } catch (error) {
    if (gone(error)) return found;
    throw error;
  }
  for (const event of events) {
    const approval = approvalOfEvent(event);
    if (approval) found.set(approval.id, approval);
  }
  return found;
}

/**
 * The record to keep when the file says `file` and the log says `logged`: the log wins when it is
 * further along (a crash came between appending the event and writing the file, or the file is
 * missing); otherwise the file (it may hold more: a change logged before approvals were events,
 * or made after its session was archived).
 */
export function newerFromLog(file: Approval | undefined, logged: Approval | undefined): Approval | undefined {
  if (!logged) return undefined;
  if (!file || approvalStep(logged) > approvalStep(file)) return logged;
  return undefined;
}
