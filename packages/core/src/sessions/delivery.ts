/**
 * Delivering text to an agent: the one path `ao send`, the API, the dashboard, reactions and the
 * initial prompt all take, whichever runtime the session uses.
 *
 * Every delivery holds the session's delivery lock (`<id>.delivery.lock`, the same file lock as
 * the session store) from paste to submit, so deliveries from any number of processes reach the
 * agent one whole submission at a time: without it, two pastes followed by two Enters arrive as
 * one glued submission and one empty one.
 *
 * Every delivery is logged twice, keyed by a delivery id: `message.sending` (the intent, before
 * anything is pasted) and `message.sent` (after the paste and submit). An intent without its
 * `message.sent` means the sender died in between; `settleDelivery` finds out what happened.
 */
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { DeliveryStatus, Runtime, RuntimeHandle } from '../contracts/runtime.js';
import { crashPoint } from '../crash-point.js';
import { withFileLock } from './lock.js';
import type { Session } from './schema.js';
import type { SessionStore } from './store.js';
import { planMenuAnswer, sendKeys, type MenuPolicy } from './answer.js';

/**
 * Waiting for the lock: deliveries queue one short paste at a time, but 20 senders on a busy
 * machine can wait seconds; a holder that died is detected by its pid at once.
 */
const DELIVERY_LOCK_TIMEOUT_MS = 60_000;

export interface DeliverOptions {
  /** The id to log the delivery under (reactions choose it first); default: a new one. */
  deliveryId?: string;
  /** Extra fields for the `message.sent` event (e.g. `initial: true`). */
  data?: Record<string, unknown>;
  /** Called once the runtime has pasted and submitted the text, before it is recorded. */
  onDelivered?: () => void;
  /**
   * When the agent may show a menu: the text then answers it (selects the option it names, or is
   * refused) or, for reactions, is refused. See `answer.ts`. Without it the text is always pasted.
   */
  menu?: MenuPolicy;
  /** Pause between paste and Enter, from the agent plugin (`Agent.submitDelayMs`). */
  submitDelayMs?: number;
}

/** A new delivery id: 16 hex characters (safe in tmux buffer and option names). */
export function newDeliveryId(): string {
  return randomBytes(8).toString('hex');
}

/** The lock file every delivery to `session` holds around paste and submit. */
export function deliveryLockPath(store: SessionStore, session: Pick<Session, 'project' | 'id'>): string {
  return join(dirname(store.files(session.project, session.id).lock), `${session.id}.delivery.lock`);
}

/** Logs the intent, pastes `text` into the agent as one submission, logs `message.sent`; all under the delivery lock. */
export async function deliver(
  store: SessionStore,
  session: Session,
  runtime: Runtime,
  handle: RuntimeHandle,
  text: string,
  options: DeliverOptions = {},
): Promise<Session> {
  const deliveryId = options.deliveryId ?? newDeliveryId();
  const { project, id } = session;
  return withFileLock(
    deliveryLockPath(store, session),
    async () => {
      // Read under the lock: no other delivery can change the menu before the answer's last key.
      const answer = options.menu ? await planMenuAnswer(runtime, handle, text, options.menu) : undefined;
      const answered = answer ? { answer: answer.option.label, option: answer.option.number, keys: answer.keys } : {};
      // The agent it is meant for: a delivery cut short is only checked against that very agent.
      const intent = { deliveryId, handle: handle.id, startedAt: session.startedAt, chars: text.length, ...answered };
      await store.append(project, id, [{ type: 'message.sending', key: `sending:${deliveryId}`, data: intent }]);
      crashPoint('message.sending');
      if (answer) await sendKeys(runtime, handle, answer.keys);
      else await runtime.sendText(handle, text, { submit: true, bracketedPaste: true, deliveryId, ...(options.submitDelayMs ? { submitDelayMs: options.submitDelayMs } : {}) });
      options.onDelivered?.();
      crashPoint('message.pasted');
      const sent = await store.append(project, id, [
        { type: 'message.sent', key: `sent:${deliveryId}`, data: { deliveryId, chars: text.length, preview: preview(text), ...answered, ...options.data } },
      ]);
      crashPoint('message.sent');
      await runtime.forgetDelivery?.(handle, deliveryId).catch(() => undefined);
      return sent;
    },
    { timeoutMs: DELIVERY_LOCK_TIMEOUT_MS },
  );
}

/**
 * The outcome of delivery `deliveryId` to `session`, recorded in its log: `delivered` once a
 * `message.sent` is logged (found in the log, or on the runtime's receipt, then logged with
 * `recovered: true`), `not-delivered` when it never began or certainly never arrived (logged as
 * `message.unsent`), `unknown` when nobody can tell: the agent it was meant for has exited or was
 * replaced, or the runtime keeps no receipts. Call it only when the sender is known to be dead.
 */
export async function settleDelivery(store: SessionStore, session: Session, runtime: Runtime | undefined, deliveryId: string): Promise<DeliveryStatus> {
  const { project, id } = session;
  return withFileLock(
    deliveryLockPath(store, session),
    async () => {
      const events = await store.events(project, id);
      const has = (key: string) => events.some((e) => e.key === key);
      if (has(`sent:${deliveryId}`)) return 'delivered';
      if (has(`unsent:${deliveryId}`)) return 'not-delivered';
      const intent = events.find((e) => e.key === `sending:${deliveryId}`)?.data;
      let status: DeliveryStatus = 'not-delivered';
      if (intent) {
        const sameAgent = session.runtime !== null && session.runtime.id === intent.handle && session.startedAt === intent.startedAt;
        status = sameAgent && runtime?.deliveryStatus ? await runtime.deliveryStatus(session.runtime as RuntimeHandle, deliveryId).catch(() => 'unknown' as const) : 'unknown';
      }
      if (status === 'delivered') {
        await store.append(project, id, [{ type: 'message.sent', key: `sent:${deliveryId}`, data: { deliveryId, chars: intent?.chars, recovered: true } }]);
      } else if (status === 'not-delivered') {
        await store.append(project, id, [{ type: 'message.unsent', key: `unsent:${deliveryId}`, data: { deliveryId, ...(intent ? {} : { reason: 'never began' }) } }]);
      }
      if (status !== 'unknown' && session.runtime) await runtime?.forgetDelivery?.(session.runtime, deliveryId).catch(() => undefined);
      return status;
    },
    { timeoutMs: DELIVERY_LOCK_TIMEOUT_MS },
  );
}

/** One line of at most 80 characters, for event logs and listings. */
export function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 79)}…` : flat;
}
