import type { GlobalOptions } from '../context.js';
import { color, print, printErr } from '../render.js';
import { loadSessions } from '../sessions.js';
import { notifyDaemon } from '../daemon/notify.js';

interface SpawnFlags {
  agent?: string;
  prompt?: string;
  project?: string;
  json?: boolean;
}

/** `ao spawn [issue]`: prints the new session id (or the session as JSON). */
export async function run([issue, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as SpawnFlags;
  const { manager, paths } = await loadSessions(globals);
  const showProgress = Boolean(process.stderr.isTTY) && !flags.json;
  const session = await manager.spawn({
    ...(typeof issue === 'string' ? { issue } : {}),
    ...(flags.prompt !== undefined ? { prompt: flags.prompt } : {}),
    ...(flags.agent ? { agent: flags.agent } : {}),
    ...(flags.project ? { project: flags.project } : {}),
    cwd: process.cwd(),
    ...(showProgress ? { onProgress: (step: string) => printErr(color.dim(`… ${step}`)) } : {}),
  });
  await notifyDaemon(paths, `spawn ${session.id}`);
  if (flags.json) {
    print(JSON.stringify(session, null, 2));
    return 0;
  }
  print(session.id);
  if (showProgress) {
    printErr(color.dim(`${session.agent} is working on branch ${session.branch} in ${session.workspacePath} (${session.spawnMs} ms)`));
    printErr(color.dim(`watch: ao session attach ${session.id}   talk: ao send ${session.id} "..."`));
  }
  return 0;
}
