import type { AoPaths, Logger } from '../contracts/plugin.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { AoError, describeError } from '../errors.js';
import { ADMITTED, type SessionManager } from '../sessions/manager.js';
import type { Session } from '../sessions/schema.js';
import type { SessionStore } from '../sessions/store.js';
import { processStartTime, sameProcess } from '../process.js';
import { awaitingStart, blockedBy, DEFAULT_PRIORITY, queueOrder, systemFreeMemoryMb, withSpawnLock, type Blocked, type FreeMemoryReader } from './admission.js';

export interface QueueDeps {
  config: ResolvedConfig;
  manager: SessionManager;
  store: SessionStore;
  paths: AoPaths;
  logger: Logger;
  /** Free memory in MiB; default `systemFreeMemoryMb`. Injected in tests. */
  freeMemoryMb?: FreeMemoryReader;
}

/** One queued session, in admission order (`position` 1 is next). */
export interface QueueEntry {
  position: number;
  id: string;
  project: string;
  agent: string;
  priority: number;
  title: string | null;
  issue: string | null;
  queuedAt: string;
  plan?: Session['plan'];
  trigger?: Session['trigger'];
  /** Why it is not admitted yet (the first limit it would exceed now); absent when it would start on the next tick. */
  waiting?: string;
}

/** What one admission pass did. */
export interface AdmitResult {
  started: Session[];
  failed: { id: string; error: string }[];
  /** Queued sessions left, and why the first of them waits. */
  queued: number;
  blocked?: Blocked;
}

/**
 * The spawn queue: queued sessions are ordinary session records with status `queued` (and a
 * `priority`), so the session store is the one truth and the queue survives any restart. Every
 * change to it, and every admission, happens under the spawn lock (`withSpawnLock`).
 */
export interface SpawnQueue {
  list(): Promise<QueueEntry[]>;
  /** Takes a queued session out of the queue (recorded as killed, then archived). `SESSION_STATE` if it is not queued. */
  remove(id: string): Promise<Session>;
  /** Changes a queued session's priority; its place among equal priorities stays by queue time. */
  move(id: string, priority: number): Promise<Session>;
  /**
   * Starts queued sessions, highest priority first, while the limits allow (count, free memory,
   * the agent's `maxConcurrent`); a session blocked only by its agent's limit lets the next one go.
   * The daemon calls this on every lifecycle tick. Sessions are taken out of the queue under the
   * lock (so no other admission takes them too) and then started, in parallel.
   */
  admit(): Promise<AdmitResult>;
}

export function createSpawnQueue(deps: QueueDeps): SpawnQueue {
  const { config, manager, store, logger } = deps;
  const freeMemoryMb = deps.freeMemoryMb ?? systemFreeMemoryMb;

  const queuedOne = async (id: string): Promise<Session> => {
    const session = await store.find(id);
    if (session.status !== 'queued') {
      throw new AoError('SESSION_STATE', `Session ${id} is not queued (it is ${session.status}): \`ao queue ls\` lists queued work; stop a running session with \`ao session kill ${id}\``, {
        details: { id, status: session.status },
      });
    }
    return session;
  };

  /** This process, as admissions record it: a later pass knows whether the admitter still lives. */
  let self: { pid: number; startTime?: string } | undefined;
  const me = (): { pid: number; startTime?: string } => {
    if (!self) {
      const startTime = processStartTime(process.pid);
      self = { pid: process.pid, ...(startTime ? { startTime } : {}) };
    }
    return self;
  };

  /**
   * A session admitted by a process that ended (kill -9, a crash) before it created anything is put
   * back in the queue, so it neither holds a slot forever nor is lost. One whose admitter still runs
   * is being started right now and is left alone.
   */
  async function requeueIfOrphaned(session: Session): Promise<Session> {
    if (session.status !== 'spawning' || session.runtime) return session;
    const events = await store.events(session.project, session.id);
    if (!awaitingStart(session, events)) return session;
    const admitted = events.filter((e) => e.type === ADMITTED).at(-1);
    const pid = admitted?.data?.pid;
    const startTime = admitted?.data?.startTime;
    if (typeof pid === 'number' && sameProcess(pid, typeof startTime === 'string' ? startTime : undefined)) return session;
    logger.warn({ session: session.id, admitter: pid }, 'admitted session requeued: its admitter ended before starting it');
    return store.update(session.project, session.id, 'queue.requeued', { status: 'queued' }, { reason: `process ${String(pid)} admitted it and ended before starting it` });
  }

  return {
    async list() {
      const { sessions } = await manager.list({ refresh: false });
      // Admission simulated in order: an entry behind one that takes the last slot waits too.
      const current = sessions.filter((s) => s.status !== 'queued');
      const free = freeMemoryMb();
      return queueOrder(sessions).map((s, i) => {
        const blocked = blockedBy(config, current, s.agent, free);
        if (!blocked) current.push({ ...s, status: 'spawning' });
        return {
          position: i + 1,
          id: s.id,
          project: s.project,
          agent: s.agent,
          priority: s.priority ?? DEFAULT_PRIORITY,
          title: s.title,
          issue: s.issue,
          queuedAt: s.createdAt,
          ...(s.plan ? { plan: s.plan } : {}),
          ...(s.trigger ? { trigger: s.trigger } : {}),
          ...(blocked ? { waiting: blocked.message } : {}),
        };
      });
    },

    remove: (id) =>
      withSpawnLock(deps.paths, async () => {
        const session = await queuedOne(id);
        const restore = (await store.events(session.project, id)).filter((e) => e.type === 'session.queued').at(-1)?.data;
        if (restore?.restore === true) {
          // A queued restore: the session, its workspace and branch exist; it goes back to how it was.
          const from = typeof restore.from === 'string' ? (restore.from as Session['status']) : 'killed';
          return store.update(session.project, id, 'queue.removed', { status: from, activityDetail: 'restore removed from the queue' });
        }
        const removed = await store.update(session.project, id, 'queue.removed', { status: 'killed', activityDetail: 'removed from the queue' });
        // Nothing was created for it (no workspace, no branch, no agent): the record can go.
        await store.archive(session.project, id);
        return removed;
      }),

    move: (id, priority) =>
      withSpawnLock(deps.paths, async () => {
        const session = await queuedOne(id);
        return store.update(session.project, id, 'queue.moved', { priority }, { from: session.priority ?? DEFAULT_PRIORITY, to: priority });
      }),

    async admit() {
      const taken = await withSpawnLock(deps.paths, async () => {
        const { sessions } = await manager.list();
        const current = await Promise.all(sessions.map(requeueIfOrphaned));
        const admitted: Session[] = [];
        let firstBlocked: Blocked | undefined;
        for (const candidate of queueOrder(current)) {
          // Memory is read again for each admission: each start is a decision of its own.
          const blocked = blockedBy(config, current, candidate.agent, freeMemoryMb());
          if (blocked) {
            firstBlocked ??= blocked;
            // Only an agent's own limit lets lower-priority work of other agents go first.
            if (blocked.reason === 'agent') continue;
            break;
          }
          const marked = await store.update(candidate.project, candidate.id, ADMITTED, { status: 'spawning' }, { priority: candidate.priority ?? DEFAULT_PRIORITY, ...me() });
          admitted.push(marked);
          const at = current.findIndex((s) => s.id === candidate.id);
          current[at] = marked;
        }
        const queued = current.filter((s) => s.status === 'queued').length;
        return { admitted, queued, blocked: queued > 0 ? firstBlocked : undefined };
      });
      const result: AdmitResult = { started: [], failed: [], queued: taken.queued, ...(taken.blocked ? { blocked: taken.blocked } : {}) };
      await Promise.all(
        taken.admitted.map(async (s) => {
          try {
            result.started.push(await manager.startAdmitted(s.id));
            logger.info({ session: s.id }, 'queued session started');
          } catch (error) {
            // A failed start is archived as errored by the manager, like a failed spawn.
            result.failed.push({ id: s.id, error: describeError(error) });
            logger.warn({ session: s.id, err: describeError(error) }, 'queued session failed to start');
          }
        }),
      );
      return result;
    },
  };
}
