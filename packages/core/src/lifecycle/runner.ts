import { describeError } from '../errors.js';
import type { Clock, Logger } from '../contracts/plugin.js';
import type { DeliveryStatus } from '../contracts/runtime.js';
import { crashPoint } from '../crash-point.js';
import { newDeliveryId } from '../sessions/delivery.js';
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
   * Sends to agents are exactly-once or a human is told: an attempt interrupted after its
   * delivery began is settled first (`SessionManager.settleDelivery`): found delivered, it is
   * done; certainly not delivered, it is sent again; unknowable, a human is told.
   * Everything else (notify, merge, cleanup, close, open PR: idempotent or harmless) is
   * at-least-once: an interrupted attempt is run again.
   */
  atMostOnce: boolean;
  /** For a send: the message, kept in `reaction.pending` so an interrupted send can be completed. */
  message?: string;
  /** Extra fields for the `reaction.pending` event (what is about to happen). */
  detail?: Record<string, unknown>;
  /** The side effect; resolves to the outcome recorded in `reaction.done`. Sends log their delivery as `deliveryId`. */
  effect(context: { deliveryId?: string }): Promise<string>;
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

/** How the runner settles a send whose runner died, and tells a human when that cannot be known. */
export interface DeliveryRecovery {
  settle(session: Session, deliveryId: string): Promise<DeliveryStatus>;
  tellHuman(session: Session, reaction: string, why: string): Promise<void>;
}

export interface ReactionRunner {
  /** Runs `run` unless the ledger says it is done or in flight elsewhere; undefined when skipped. */
  run(session: Session, ledger: Ledger, run: ReactionRun): Promise<ReactionResult | undefined>;
  /** Appends lifecycle events to a session, feeding the ledger and the hooks. */
  record(session: Session, ledger: Ledger | undefined, events: SessionEventInput[]): Promise<{ session: Session; appended: SessionEvent[] }>;
}

/** Reactions running in this process right now (keyed by session + key). */
const inFlight = new Set<string>();

export function createReactionRunner(deps: { store: SessionStore; logger: Logger; clock: Clock; hooks?: RunnerHooks; delivery?: DeliveryRecovery }): ReactionRunner {
  const { store, logger, clock } = deps;

  const record: ReactionRunner['record'] = async (session, ledger, events) => {
    const { session: next, appended } = await store.appendWithResult(session.project, session.id, events);
    ledger?.add(appended);
    for (const event of appended) {
      await deps.hooks?.afterRecord?.(event, next);
      crashPoint(event.type);
    }
    return { session: next, appended };
  };

  /** What to do with a reaction given its ledger entry. */
  function plan(entry: ReactionEntry | undefined): { kind: 'skip' } | { kind: 'fresh'; n: number } | { kind: 'resume'; n: number } | { kind: 'give-up'; error: string } {
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
    return { kind: 'resume', n: last.n };
  }

  /**
   * Settles every delivery of `entry` that a dead runner began and never logged as sent: the
   * reaction is `sent` if one arrived, `uncertain` (and a human told) if that cannot be known,
   * else undefined (nothing arrived: send it).
   */
  async function settleInterrupted(session: Session, entry: ReactionEntry | undefined, reaction: string): Promise<string | undefined> {
    const attempts = entry?.attempts ?? [];
    if (attempts.some((a) => a.delivered)) return 'sent';
    for (const attempt of attempts) {
      if (!attempt.started || attempt.unsent) continue;
      const status: DeliveryStatus =
        attempt.deliveryId && deps.delivery ? await deps.delivery.settle(session, attempt.deliveryId).catch(() => 'unknown' as const) : 'unknown';
      logger.warn({ session: session.id, key: entry?.key, attempt: attempt.n, status }, 'settled an interrupted send');
      if (status === 'delivered') return 'sent (found delivered after its sender was interrupted)';
      if (status === 'unknown') {
        const why = `ao was interrupted while sending the ${reaction} message to ${session.id}, and cannot tell whether the agent received it.`;
        await deps.delivery?.tellHuman(session, reaction, why);
        return 'uncertain: interrupted while sending and undeterminable; not sent again, a human was told';
      }
    }
    return undefined;
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
        // An interrupted attempt is taken over as the next one: appending its `reaction.pending`
        // is the claim, so of two processes recovering at once only one goes on.
        const n = p.kind === 'fresh' ? p.n : p.n + 1;
        if (p.kind === 'resume') logger.info({ session: session.id, key: r.key, attempt: p.n }, 'resuming an interrupted reaction');
        const message = r.message ?? ledger.get(r.key)?.message;
        const { appended } = await record(session, ledger, [
          {
            type: 'reaction.pending',
            key: `pending:${r.key}:${n}`,
            data: { ...base, attempt: n, pid: process.pid, ...(p.kind === 'resume' ? { resumes: p.n } : {}), ...r.detail, ...(message !== undefined ? { message } : {}) },
          },
        ]);
        if (appended.length === 0) return undefined; // another process claimed it
        let deliveryId: string | undefined;
        if (r.atMostOnce) {
          const settled = await settleInterrupted(session, ledger.get(r.key), r.reaction);
          if (settled !== undefined) return await done(settled);
          deliveryId = newDeliveryId();
          await record(session, ledger, [{ type: 'reaction.attempt', key: `attempt:${r.key}:${n}`, data: { ...base, attempt: n, deliveryId } }]);
        }
        let outcome: string;
        try {
          outcome = await r.effect(deliveryId === undefined ? {} : { deliveryId });
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

