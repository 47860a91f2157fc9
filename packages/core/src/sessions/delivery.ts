/**
 * Delivering text to an agent: the one path `ao send`, the API, the dashboard, reactions and the
 * initial prompt all take, whichever runtime the session uses.
 *
 * Every delivery holds the session's delivery lock (`<id>.delivery.lock`, the same file lock as
 * the session store) from paste to submit, so deliveries from any number of processes reach the
 * agent one whole submission at a time: without it, two pastes followed by two Enters arrive as
 * one glued submission and one empty one.
 */
import { dirname, join } from 'node:path';
import type { Runtime, RuntimeHandle } from '../contracts/runtime.js';
import { withFileLock } from './lock.js';
import type { Session } from './schema.js';
import type { SessionStore } from './store.js';

/**
 * Waiting for the lock: deliveries queue one short paste at a time, but 20 senders on a busy
 * machine can wait seconds; a holder that died is detected by its pid at once.
 */
const DELIVERY_LOCK_TIMEOUT_MS = 60_000;

export interface DeliverOptions {
  /** Extra fields for the `message.sent` event (e.g. `initial: true`). */
  data?: Record<string, unknown>;
  /** Called once the runtime has pasted and submitted the text, before it is recorded. */
  onDelivered?: () => void;
}

/** The lock file every delivery to `session` holds around paste and submit. */
export function deliveryLockPath(store: SessionStore, session: Pick<Session, 'project' | 'id'>): string {
  return join(dirname(store.files(session.project, session.id).lock), `${session.id}.delivery.lock`);
}

/** Pastes `text` into the agent as one submission under the delivery lock, then logs `message.sent`. */
export async function deliver(
  store: SessionStore,
  session: Session,
  runtime: Runtime,
  handle: RuntimeHandle,
  text: string,
  options: DeliverOptions = {},
): Promise<Session> {
  return withFileLock(
    deliveryLockPath(store, session),
    async () => {
      await runtime.sendText(handle, text, { submit: true, bracketedPaste: true });
      options.onDelivered?.();
      return store.update(session.project, session.id, 'message.sent', {}, { chars: text.length, preview: preview(text), ...options.data });
    },
    { timeoutMs: DELIVERY_LOCK_TIMEOUT_MS },
  );
}

/** One line of at most 80 characters, for event logs and listings. */
export function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 79)}…` : flat;
}
