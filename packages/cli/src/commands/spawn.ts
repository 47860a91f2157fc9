import { parsePriority, readDaemonInfo } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { color, print, printErr } from '../render.js';
import { loadSessions } from '../sessions.js';
import { notifyDaemon } from '@ao/daemon/client';

interface SpawnFlags {
  agent?: string;
  prompt?: string;
  project?: string;
  json?: boolean;
  priority?: string;
  /** commander's `--no-queue`: false when given. */
  queue?: boolean;
}

/** `ao spawn [issue]`: prints the new session id (or the session as JSON); beyond the limits the session is queued. */
export async function run([issue, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as SpawnFlags;
  const priority = parsePriority(flags.priority);
  const { manager, paths, store } = await loadSessions(globals);
  const showProgress = Boolean(process.stderr.isTTY) && !flags.json;
  const session = await manager.spawn({
    ...(typeof issue === 'string' ? { issue } : {}),
    ...(flags.prompt !== undefined ? { prompt: flags.prompt } : {}),
    ...(flags.agent ? { agent: flags.agent } : {}),
    ...(flags.project ? { project: flags.project } : {}),
    cwd: process.cwd(),
    priority,
    queue: flags.queue === false ? 'never' : 'if-full',
    ...(showProgress ? { onProgress: (step: string) => printErr(color.dim(`… ${step}`)) } : {}),
  });
  await notifyDaemon(paths, `spawn ${session.id}`);
  if (flags.json) print(JSON.stringify(session, null, 2));
  else print(session.id);
  if (session.status === 'queued') {
    const queuedEvent = (await store.events(session.project, session.id)).find((e) => e.type === 'session.queued');
    const reason = typeof queuedEvent?.data?.reason === 'string' ? queuedEvent.data.reason : undefined;
    if (!flags.json) printErr(`${session.id} is queued (priority ${priority})${reason ? `: ${reason}` : ''}. \`ao queue ls\` shows the queue.`);
    // Only the daemon admits queued work; without it nothing starts.
    if (!readDaemonInfo(paths)) printErr(`The ao daemon admits queued work when a slot frees, and it is not running: start it with \`ao start\`.`);
    return 0;
  }
  if (showProgress) {
    printErr(color.dim(`${session.agent} is working on branch ${session.branch} in ${session.workspacePath} (${session.spawnMs} ms)`));
    printErr(color.dim(`watch: ao session attach ${session.id}   talk: ao send ${session.id} "..."`));
  }
  return 0;
}

