import type { SessionEvent } from '../sessions/schema.js';

/**
 * The reaction ledger: what the session's event log says about every reaction ao ran for it.
 * Reactions are recorded as events keyed by the reaction's idempotency key `K`:
 *
 *   reaction.pending  key `pending:K:<n>`   attempt n is about to run (pid of the runner; a send's message)
 *   reaction.attempt  key `attempt:K:<n>`   a send is being delivered now, as delivery `deliveryId`
 *   reaction.done     key `done:K`          finished, with `outcome`; never run again
 *   reaction.failed   key `failed:K:<n>`    attempt n threw; retried on a later poll
 *
 * A send's delivery is followed by the delivery events of `sessions/delivery.ts`, keyed by its
 * delivery id: `message.sending` (intent), then `message.sent`, or after a crash `message.sent`
 * with `recovered: true` or `message.unsent` (it certainly never arrived).
 *
 * Because the store skips an event whose key is already logged, appending `pending:K:<n>` is also
 * the claim: of two processes racing for the same reaction, one appends it and the other sees
 * nothing appended and leaves it alone.
 */
export interface ReactionAttempt {
  n: number;
  pid?: number;
  ts: string;
  /** An at-most-once effect was started (its `reaction.attempt` is logged). */
  started: boolean;
  /** The delivery id of the send (logs before delivery ids have none). */
  deliveryId?: string;
  /** Its `message.sent` is logged: the send was delivered. */
  delivered: boolean;
  /** Its `message.unsent` is logged: it certainly never arrived. */
  unsent: boolean;
  failed?: string;
}

export interface ReactionEntry {
  key: string;
  reaction: string;
  attempts: ReactionAttempt[];
  done?: { outcome: string; ts: string };
  /** When the reaction was first recorded. */
  firstTs: string;
  /** For a send: the message, so a send cut short can be completed even if it is no longer planned. */
  message?: string;
}

export interface Ledger {
  entries: Map<string, ReactionEntry>;
  /** Feeds newly appended events in. */
  add(events: readonly SessionEvent[]): void;
  get(key: string): ReactionEntry | undefined;
  /** Entries of one reaction whose key starts with `prefix`, in log order. */
  ofReaction(reaction: string, prefix?: string): ReactionEntry[];
}

export function createLedger(events: readonly SessionEvent[] = []): Ledger {
  const entries = new Map<string, ReactionEntry>();
  // Logs without delivery ids: the attempt whose send is in flight, delivered by the next `message.sent`.
  let awaitingDelivery: ReactionAttempt | undefined;
  const byDelivery = new Map<string, ReactionAttempt>();

  const entryOf = (event: SessionEvent): ReactionEntry | undefined => {
    const key = event.data?.key;
    if (typeof key !== 'string') return undefined;
    let entry = entries.get(key);
    if (!entry) {
      entry = { key, reaction: String(event.data?.reaction ?? key.split(':')[0]), attempts: [], firstTs: event.ts };
      entries.set(key, entry);
    }
    return entry;
  };
  const attemptOf = (entry: ReactionEntry, event: SessionEvent): ReactionAttempt | undefined => {
    const n = Number(event.data?.attempt);
    return entry.attempts.find((a) => a.n === n);
  };

  const add = (list: readonly SessionEvent[]): void => {
    for (const event of list) {
      if (event.type === 'message.sent' || event.type === 'message.unsent') {
        const deliveryId = event.data?.deliveryId;
        const attempt = typeof deliveryId === 'string' ? byDelivery.get(deliveryId) : awaitingDelivery;
        if (attempt) attempt[event.type === 'message.sent' ? 'delivered' : 'unsent'] = true;
        if (attempt === awaitingDelivery) awaitingDelivery = undefined;
        continue;
      }
      if (!event.type.startsWith('reaction.')) continue;
      const entry = entryOf(event);
      if (!entry) continue;
      switch (event.type) {
        case 'reaction.pending': {
          const n = Number(event.data?.attempt ?? entry.attempts.length + 1);
          const pid = typeof event.data?.pid === 'number' ? event.data.pid : undefined;
          entry.attempts.push({ n, ts: event.ts, started: false, delivered: false, unsent: false, ...(pid !== undefined ? { pid } : {}) });
          if (typeof event.data?.message === 'string') entry.message = event.data.message;
          break;
        }
        case 'reaction.attempt': {
          const attempt = attemptOf(entry, event);
          if (attempt) {
            attempt.started = true;
            const deliveryId = event.data?.deliveryId;
            if (typeof deliveryId === 'string') {
              attempt.deliveryId = deliveryId;
              byDelivery.set(deliveryId, attempt);
            } else {
              awaitingDelivery = attempt;
            }
          }
          break;
        }
        case 'reaction.failed': {
          const attempt = attemptOf(entry, event);
          if (attempt) attempt.failed = String(event.data?.error ?? 'failed');
          if (awaitingDelivery === attempt) awaitingDelivery = undefined;
          break;
        }
        case 'reaction.done':
          entry.done = { outcome: String(event.data?.outcome ?? 'done'), ts: event.ts };
          break;
        default:
          break;
      }
    }
  };
  add(events);

  return {
    entries,
    add,
    get: (key) => entries.get(key),
    ofReaction: (reaction, prefix) => [...entries.values()].filter((e) => e.reaction === reaction && (prefix === undefined || e.key.startsWith(prefix))),
  };
}
