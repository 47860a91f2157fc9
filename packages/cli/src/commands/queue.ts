import { createFileLogger, createSpawnQueue, parsePriority, type QueueEntry, type SpawnQueue } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { notifyDaemon } from '@ao/daemon/client';
import { color, print, table } from '../render.js';
import { age, loadSessions, type SessionCli } from '../sessions.js';

/** The SessionManager plus the spawn queue over it: for `ao queue`, `ao lifecycle poll` and the daemon. */
export async function loadQueue(globals: GlobalOptions, cli?: SessionCli): Promise<SessionCli & { queue: SpawnQueue }> {
  const loaded = cli ?? (await loadSessions(globals));
  const logger = createFileLogger(loaded.paths.logs).child({ cmd: process.argv[2], component: 'queue' });
  return { ...loaded, queue: createSpawnQueue({ config: loaded.config, manager: loaded.manager, store: loaded.store, paths: loaded.paths, logger }) };
}

/** `ao queue ls [--json]`: queued sessions in the order the daemon admits them, with why each waits. */
export async function list([opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { json?: boolean };
  const { queue } = await loadQueue(globals);
  const entries = await queue.list();
  if (flags.json) {
    print(JSON.stringify(entries, null, 2));
    return 0;
  }
  if (entries.length === 0) {
    print('The queue is empty.');
    return 0;
  }
  const now = Date.now();
  print(
    table(
      ['#', 'ID', 'PRI', 'AGENT', 'AGE', 'WORK', 'WAITING FOR'],
      entries.map((e) => [
        String(e.position),
        e.id,
        String(e.priority),
        e.agent,
        age(e.queuedAt, now),
        clip(work(e), 50),
        e.waiting ? color.yellow(e.waiting) : color.green('a free slot: next tick'),
      ]),
    ),
  );
  return 0;
}

/** `ao queue rm <id>`: the session leaves the queue and is archived; nothing had been created for it. */
export async function remove([id]: unknown[], globals: GlobalOptions): Promise<number> {
  const { queue, paths } = await loadQueue(globals);
  const removed = await queue.remove(String(id));
  await notifyDaemon(paths, `queue rm ${removed.id}`);
  print(`removed ${removed.id} from the queue`);
  return 0;
}

/** `ao queue move <id> --priority N`. */
export async function move([id, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { priority?: string };
  const priority = parsePriority(flags.priority);
  const { queue, paths } = await loadQueue(globals);
  const moved = await queue.move(String(id), priority);
  await notifyDaemon(paths, `queue move ${moved.id}`);
  const position = (await queue.list()).find((e) => e.id === moved.id)?.position;
  print(`${moved.id} now has priority ${priority}${position ? ` (position ${position} in the queue)` : ''}`);
  return 0;
}

function work(e: QueueEntry): string {
  if (e.plan) return `plan ${e.plan.id} ${e.plan.step}${e.plan.item ? `[${e.plan.item}]` : ''}`;
  const what = e.issue ? `#${e.issue} ${e.title ?? ''}` : (e.title ?? '');
  return e.trigger ? `trigger ${e.trigger.id}: ${what}` : what;
}

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
