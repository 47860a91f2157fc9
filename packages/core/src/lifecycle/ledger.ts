import type { SessionEvent } from '../sessions/schema.js';

/**
 * The reaction ledger: what the session's event log says about every reaction ao ran for it.
 * Reactions are recorded as events keyed by the reaction's idempotency key `K`:
 *
 *   reaction.pending  key `pending:K:<n>`   attempt n is about to run (pid of the runner)
 *   reaction.attempt  key `attempt:K:<n>`   an at-most-once effect (a send) is being delivered now
 *   reaction.done     key `done:K`          finished, with `outcome`; never run again
 *   reaction.failed   key `failed:K:<n>`    attempt n threw; retried on a later poll
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
  /** A `message.sent` was logged after `started`: the send was delivered. */
  delivered: boolean;
  failed?: string;
}

export interface ReactionEntry {
  key: string;
  reaction: string;
  attempts: ReactionAttempt[];
  done?: { outcome: string; ts: string };
  /** When the reaction was first recorded. */
  firstTs: string;
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
  // The attempt whose send is in flight: a `message.sent` right after it says it was delivered.
  let awaitingDelivery: ReactionAttempt | undefined;

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
      if (event.type === 'message.sent') {
        if (awaitingDelivery) awaitingDelivery.delivered = true;
        awaitingDelivery = undefined;
        continue;
      }
      if (!event.type.startsWith('reaction.')) continue;
      const entry = entryOf(event);
      if (!entry) continue;
      switch (event.type) {
        case 'reaction.pending': {
          const n = Number(event.data?.attempt ?? entry.attempts.length + 1);
          const pid = typeof event.data?.pid === 'number' ? event.data.pid : undefined;
          entry.attempts.push({ n, ts: event.ts, started: false, delivered: false, ...(pid !== undefined ? { pid } : {}) });
          break;
        }
        case 'reaction.attempt': {
          const attempt = attemptOf(entry, event);
          if (attempt) {
            attempt.started = true;
            awaitingDelivery = attempt;
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
