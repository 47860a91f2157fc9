import { enc, get, type Approval, type EventMessage, type Session } from './api.js';

/**
 * The page's copy of the store, kept current by `/api/events` (SSE) alone: one fetch of the
 * session list when the stream (re)connects, then every event's `set` is folded into its
 * snapshot exactly as the store folds it. Events that arrive while the list is loading are held
 * and replayed on top of it, so nothing between the two is lost. No polling.
 */
export type ConnectionState = 'connecting' | 'live' | 'offline' | 'unauthorized';

export interface Live {
  readonly sessions: Map<string, Session>;
  readonly approvals: Approval[];
  /** Session ids with a pending approval. */
  pendingFor(sessionId: string): boolean;
  /** Called with the id of every session whose snapshot changed (undefined session: archived). */
  onSession(listener: (id: string, session: Session | undefined) => void): () => void;
  /** Every raw event, after it was folded in. */
  onEvent(listener: (message: EventMessage) => void): () => void;
  onApprovals(listener: () => void): () => void;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  /** The whole list was (re)loaded. */
  onReset(listener: () => void): () => void;
  refreshApprovals(): Promise<void>;
  /** Puts a snapshot the page got from an API answer (spawn, kill…) in place at once. */
  upsert(session: Session): void;
  readonly ready: Promise<void>;
}

const APPROVAL_EVENTS = new Set(['approval.requested', 'approval.approved', 'approval.rejected', 'approval.expired', 'approval.executed']);

export function createLive(): Live {
  const sessions = new Map<string, Session>();
  let approvals: Approval[] = [];
  const sessionListeners = new Set<(id: string, session: Session | undefined) => void>();
  const eventListeners = new Set<(message: EventMessage) => void>();
  const approvalListeners = new Set<() => void>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  const resetListeners = new Set<() => void>();
  let held: EventMessage[] | undefined = [];
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  const fetching = new Set<string>();

  /** A view that throws must not take the live stream down with it. */
  const each = <A extends unknown[]>(listeners: Set<(...args: A) => void>, ...args: A): void => {
    for (const l of listeners) {
      try {
        l(...args);
      } catch (error) {
        console.error('dashboard view failed to update', error);
      }
    }
  };
  const changed = (id: string): void => each(sessionListeners, id, sessions.get(id));
  const setConnection = (state: ConnectionState): void => each(connectionListeners, state);

  const refreshApprovals = async (): Promise<void> => {
    const body = await get<{ approvals: Approval[] }>('/api/approvals');
    approvals = body.approvals;
    each(approvalListeners);
    for (const id of new Set(approvals.map((a) => a.sessionId))) if (sessions.has(id)) changed(id);
  };
  /**
   * Every change of an approval is an event of its session (`approval.requested|approved|rejected|
   * expired|executed`) carrying the whole approval: it replaces the page's copy, unless the copy is
   * further along already (an event held while the list loaded, older than the list).
   */
  const step = (a: Approval): number => (a.executedAt ? 2 : a.status === 'pending' ? 0 : 1);
  const applyApproval = (approval: Approval): void => {
    const i = approvals.findIndex((a) => a.id === approval.id);
    if (i >= 0 && step(approvals[i]!) > step(approval)) return;
    const rest = approvals.filter((a) => a.id !== approval.id);
    approvals = [approval, ...rest].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id.localeCompare(b.id)));
    each(approvalListeners);
  };

  const fetchSession = (id: string): void => {
    if (fetching.has(id)) return;
    fetching.add(id);
    get<Session>(`/api/sessions/${enc(id)}`)
      .then((s) => {
        sessions.set(id, s);
        changed(id);
      })
      .catch(() => {})
      .finally(() => fetching.delete(id));
  };

  const apply = (message: EventMessage): void => {
    const { sessionId: id, event } = message;
    if (APPROVAL_EVENTS.has(event.type) && event.data) applyApproval(event.data as Approval);
    const current = sessions.get(id);
    if (event.type === 'session.archived') {
      sessions.delete(id);
      changed(id);
    } else if (current) {
      const next = { ...current, ...(event.set ?? {}), updatedAt: event.ts, lastEvent: { type: event.type, ts: event.ts } } as Session;
      sessions.set(id, next);
      changed(id);
    } else if (event.type === 'session.created' && event.set && typeof event.set.id === 'string') {
      sessions.set(id, { ...(event.set as unknown as Session), lastEvent: { type: event.type, ts: event.ts } });
      changed(id);
    } else {
      fetchSession(id);
    }
    each(eventListeners, message);
  };

  const load = async (): Promise<void> => {
    held = held ?? [];
    const [list] = await Promise.all([get<{ sessions: Session[] }>('/api/sessions'), refreshApprovals()]);
    sessions.clear();
    for (const s of list.sessions) sessions.set(s.id, s);
    const replay = held;
    held = undefined;
    each(resetListeners);
    for (const m of replay) apply(m);
    resolveReady();
  };

  const onOpen = (): void => {
    held = [];
    load()
      .then(() => setConnection('live'))
      .catch((error: unknown) => {
        setConnection((error as { status?: number }).status === 401 ? 'unauthorized' : 'offline');
        resolveReady();
      });
  };
  const onSession = (data: string): void => {
    const message = JSON.parse(data) as EventMessage;
    if (held) held.push(message);
    else apply(message);
  };
  /** A closed stream (the daemon restarted, or the cookie is gone): retry unless signed out. */
  const onClosed = (reconnect: () => void): void => {
    setConnection('offline');
    get('/api/status')
      .then(() => setTimeout(reconnect, 1000))
      .catch((error: unknown) => {
        if ((error as { status?: number }).status === 401) setConnection('unauthorized');
        else setTimeout(reconnect, 3000);
      });
  };

  /** Through the shared worker (one stream for all tabs) where there is one, else per tab. */
  const connect = (): void => {
    setConnection('connecting');
    if (typeof SharedWorker !== 'undefined') {
      const worker = new SharedWorker(new URL('./events-worker.ts', import.meta.url), { type: 'module', name: 'ao-events' });
      worker.port.onmessage = (e: MessageEvent<{ kind: string; data?: string; closed?: boolean }>) => {
        const m = e.data;
        if (m.kind === 'open') onOpen();
        else if (m.kind === 'session' && m.data) onSession(m.data);
        else if (m.kind === 'error') {
          if (m.closed) onClosed(() => worker.port.postMessage('reconnect'));
          else setConnection('connecting');
        }
      };
      worker.port.start();
      window.addEventListener('pagehide', () => worker.port.postMessage('close'));
      return;
    }
    const source = new EventSource('/api/events');
    source.addEventListener('open', onOpen);
    source.addEventListener('session', (e) => onSession((e as MessageEvent<string>).data));
    source.addEventListener('error', () => {
      // EventSource reconnects by itself; a closed one (401 or a bad answer) will not.
      if (source.readyState === EventSource.CLOSED) onClosed(connect);
      else setConnection('connecting');
    });
  };
  connect();

  const subscribe =
    <T>(set: Set<T>) =>
    (listener: T): (() => void) => {
      set.add(listener);
      return () => set.delete(listener);
    };

  return {
    sessions,
    get approvals() {
      return approvals;
    },
    pendingFor: (id) => approvals.some((a) => a.sessionId === id && a.status === 'pending'),
    onSession: subscribe(sessionListeners),
    onEvent: subscribe(eventListeners),
    onApprovals: subscribe(approvalListeners),
    onConnection: subscribe(connectionListeners),
    onReset: subscribe(resetListeners),
    refreshApprovals,
    upsert(session) {
      sessions.set(session.id, session);
      changed(session.id);
    },
    ready,
  };
}
