import { existsSync, readdirSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { mkdirPrivateSync, type AoPaths, type Logger, type SessionEvent, type SessionStore } from '@ao/core';

/** What `/api/events` pushes for every event appended to any session's log. */
export interface SessionEventMessage {
  sessionId: string;
  project: string;
  event: SessionEvent;
}

export interface EventHub {
  /** Calls `listener` for every event appended from now on; returns the unsubscribe function. */
  subscribe(listener: (message: SessionEventMessage) => void): () => void;
  close(): void;
}

const LOG_SUFFIX = '.events.jsonl';

/**
 * Fans every session's event log out to subscribers. The logs are the truth (any process may
 * append: the CLI, the lifecycle, the daemon), so the hub tails the files rather than hooking one
 * writer: `store.follow` per session, and `fs.watch` on the projects and sessions dirs so new
 * sessions are followed as soon as their log appears. A slow rescan covers file systems where
 * watch events never come. It runs only while someone is subscribed.
 */
export function createEventHub(deps: { paths: AoPaths; store: SessionStore; logger: Logger; rescanMs?: number }): EventHub {
  const { paths, store, logger } = deps;
  const projectsRoot = dirname(paths.project('_'));
  const listeners = new Set<(message: SessionEventMessage) => void>();
  const followers = new Map<string, AbortController>();
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;

  const emit = (message: SessionEventMessage): void => {
    for (const listener of listeners) {
      try {
        listener(message);
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'event listener failed');
      }
    }
  };

  const watchDir = (dir: string): void => {
    if (watchers.has(dir) || !existsSync(dir)) return;
    try {
      const w = watch(dir, { persistent: false }, () => scan(false));
      w.on('error', () => {
        w.close();
        watchers.delete(dir);
      });
      watchers.set(dir, w);
    } catch {
      // unsupported here: the rescan timer covers it
    }
  };

  /** Follows logs not yet followed; `initial` ones start at their end (history is not news). */
  const scan = (initial: boolean): void => {
    if (!running) return;
    watchDir(projectsRoot);
    let projects: string[] = [];
    try {
      projects = readdirSync(projectsRoot);
    } catch {
      return;
    }
    const seen = new Set<string>();
    for (const project of projects) {
      const dir = paths.sessions(project);
      watchDir(dirname(dir));
      watchDir(dir);
      let names: string[] = [];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        if (!name.endsWith(LOG_SUFFIX) || name.startsWith('.')) continue;
        const id = name.slice(0, -LOG_SUFFIX.length);
        const key = `${project}/${id}`;
        seen.add(key);
        if (followers.has(key)) continue;
        const controller = new AbortController();
        followers.set(key, controller);
        store
          .follow(project, id, (event) => emit({ sessionId: id, project, event }), controller.signal, { fromEnd: initial })
          .catch((error: unknown) => logger.warn({ session: id, err: (error as Error).message }, 'could not follow event log'))
          .finally(() => {
            if (followers.get(key) === controller) followers.delete(key);
          });
      }
    }
    // Archived sessions: their log moved away, stop tailing it.
    for (const [key, controller] of followers) {
      if (!seen.has(key)) {
        controller.abort();
        followers.delete(key);
      }
    }
  };

  const start = (): void => {
    running = true;
    // Watchable from the start: in a fresh data dir the first session would otherwise wait for the rescan.
    try {
      mkdirPrivateSync(projectsRoot);
    } catch {
      // the rescan covers it
    }
    scan(true);
    timer = setInterval(() => scan(false), deps.rescanMs ?? 2000);
    timer.unref();
  };

  const stop = (): void => {
    running = false;
    if (timer) clearInterval(timer);
    timer = undefined;
    for (const c of followers.values()) c.abort();
    followers.clear();
    for (const w of watchers.values()) w.close();
    watchers.clear();
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (!running) start();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && running) stop();
      };
    },
    close() {
      listeners.clear();
      stop();
    },
  };
}
