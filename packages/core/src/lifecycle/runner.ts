import { describeError } from '../errors.js';
import type { Clock, Logger } from '../contracts/plugin.js';
import type { Session, SessionEvent, SessionEventInput } from '../sessions/schema.js';
import type { SessionStore } from '../sessions/store.js';
import type { Ledger, ReactionEntry } from './ledger.js';
import { pidAlive } from '../process.js';

/** An action that failed this many times is given up (recorded done with `outcome: failed: …`). */
export const MAX_ATTEMPTS = 3;
/** A pending attempt of another living process is left alone for this long, then taken over. */
const FOREIGN_PENDING_MS = 10 * 60_000;

export interface ReactionRun {
  reaction: string;
  /** Idempotency key `<reaction>:<session>:<discriminator>`. */
  key: string;
  /**
   * Sends to agents are at-most-once: an attempt interrupted after its delivery started (and
   * before the send was logged) is not repeated but recorded `outcome: uncertain`.
   * Everything else (notify, merge, cleanup, close, open PR: idempotent or harmless) is
   * at-least-once: an interrupted attempt is run again.
   */
  atMostOnce: boolean;
  /** Extra fields for the `reaction.pending` event (what is about to happen). */
  detail?: Record<string, unknown>;
  /** The side effect; resolves to the outcome recorded in `reaction.done`. */
  effect(): Promise<string>;
}

export interface ReactionResult {
  sessionId: string;
  reaction: string;
  key: string;
  outcome?: string;
  error?: string;
}

export interface RunnerHooks {
  /** Called after the lifecycle appended an event (tests use it to crash at a precise point). */
  afterRecord?(event: SessionEvent, session: Session): void | Promise<void>;
}

export interface ReactionRunner {
  /** Runs `run` unless the ledger says it is done or in flight elsewhere; undefined when skipped. */
  run(session: Session, ledger: Ledger, run: ReactionRun): Promise<ReactionResult | undefined>;
  /** Appends lifecycle events to a session, feeding the ledger and the hooks. */
  record(session: Session, ledger: Ledger | undefined, events: SessionEventInput[]): Promise<{ session: Session; appended: SessionEvent[] }>;
}

/** Reactions running in this process right now (keyed by session + key). */
const inFlight = new Set<string>();

export function createReactionRunner(deps: { store: SessionStore; logger: Logger; clock: Clock; hooks?: RunnerHooks }): ReactionRunner {
  const { store, logger, clock } = deps;

  const record: ReactionRunner['record'] = async (session, ledger, events) => {
    const { session: next, appended } = await store.appendWithResult(session.project, session.id, events);
    ledger?.add(appended);
    for (const event of appended) await deps.hooks?.afterRecord?.(event, next);
    return { session: next, appended };
  };

  /** What to do with a reaction given its ledger entry. */
  function plan(entry: ReactionEntry | undefined): { kind: 'skip' } | { kind: 'fresh'; n: number } | { kind: 'resume'; n: number; started: boolean; delivered: boolean } | { kind: 'give-up'; error: string } {
    if (!entry) return { kind: 'fresh', n: 1 };
    if (entry.done) return { kind: 'skip' };
    const last = entry.attempts.at(-1);
    if (!last) return { kind: 'fresh', n: 1 };
    if (last.failed !== undefined) {
      return entry.attempts.length >= MAX_ATTEMPTS ? { kind: 'give-up', error: last.failed } : { kind: 'fresh', n: last.n + 1 };
    }
    // Pending without an end: running in another process, or interrupted by a crash.
    if (last.pid !== undefined && last.pid !== process.pid && pidAlive(last.pid) && clock.now() - Date.parse(last.ts) < FOREIGN_PENDING_MS) {
      return { kind: 'skip' };
    }
    return { kind: 'resume', n: last.n, started: last.started, delivered: last.delivered };
  }

  return {
    record,
    async run(session, ledger, r) {
      const flightKey = `${session.project}\0${session.id}\0${r.key}`;
      if (inFlight.has(flightKey)) return undefined;
      const p = plan(ledger.get(r.key));
      if (p.kind === 'skip') return undefined;
      const base = { reaction: r.reaction, key: r.key };
      const result: ReactionResult = { sessionId: session.id, ...base };
      const done = async (outcome: string): Promise<ReactionResult> => {
        await record(session, ledger, [{ type: 'reaction.done', key: `done:${r.key}`, data: { ...base, outcome } }]);
        return { ...result, outcome };
      };
      if (p.kind === 'give-up') {
        logger.warn({ session: session.id, key: r.key, err: p.error }, 'reaction given up');
        return done(`failed: ${p.error}`);
      }
      inFlight.add(flightKey);
      try {
        const n = p.n;
        if (p.kind === 'fresh') {
          const { appended } = await record(session, ledger, [
            { type: 'reaction.pending', key: `pending:${r.key}:${n}`, data: { ...base, attempt: n, pid: process.pid, ...r.detail } },
          ]);
          if (appended.length === 0) return undefined; // another process claimed it
        } else if (r.atMostOnce && p.started) {
          // Delivery had begun when the last runner died: resend only if we know it never arrived.
          logger.warn({ session: session.id, key: r.key, delivered: p.delivered }, 'resuming an interrupted send');
          return done(p.delivered ? 'sent' : 'uncertain: interrupted while sending; not sent again (at-most-once)');
        } else {
          logger.info({ session: session.id, key: r.key, attempt: n }, 'resuming an interrupted reaction');
        }
        if (r.atMostOnce) {
          await record(session, ledger, [{ type: 'reaction.attempt', key: `attempt:${r.key}:${n}`, data: { ...base, attempt: n } }]);
        }
        let outcome: string;
        try {
          outcome = await r.effect();
        } catch (error) {
          const message = describeError(error);
          logger.warn({ session: session.id, key: r.key, attempt: n, err: message }, 'reaction failed');
          await record(session, ledger, [{ type: 'reaction.failed', key: `failed:${r.key}:${n}`, data: { ...base, attempt: n, error: message, retriesLeft: MAX_ATTEMPTS - n } }]);
          return { ...result, error: message };
        }
        return await done(outcome);
      } finally {
        inFlight.delete(flightKey);
      }
    },
  };
}

