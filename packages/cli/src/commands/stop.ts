import { daemonRequest, resolvePaths } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { color, print, printErr } from '../render.js';

interface StopFlags {
  force?: boolean;
}

/**
 * `ao stop`: stops the daemon. tmux sessions, their terminals and all workspaces keep running;
 * sessions of the process runtime live inside the daemon and would end with it, so while any
 * runs, stop refuses unless `--force` (their workspaces are kept either way).
 */
export async function run([opts]: unknown[], _globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as StopFlags;
  // No config needed: the daemon is found through $AO_HOME alone.
  const paths = resolvePaths(process.env);
  const hosted = await livePtySessions(paths);
  if (hosted.length > 0 && !flags.force) {
    printErr(
      `ao stop: ${hosted.length} session(s) run in the daemon's process runtime and would end with it: ${hosted.join(', ')}.\n` +
        '  Stop them first (`ao session kill <id>`), or stop anyway with `ao stop --force`: their workspaces are kept,\n' +
        '  and `ao session restore <id>` relaunches them after the next `ao start`.',
    );
    return 1;
  }
  const { stopDaemon } = await import('../daemon/process.js');
  const r = await stopDaemon(paths);
  const kept = hosted.length > 0 ? `; ended ${hosted.join(', ')} (workspaces kept: \`ao session restore <id>\` after \`ao start\`), other sessions keep running` : '; sessions keep running';
  switch (r.result) {
    case 'not-running':
      print('ao daemon is not running');
      break;
    case 'stale':
      print(`ao daemon is not running; ${r.message}`);
      break;
    case 'stopped':
      print(`ao daemon stopped (pid ${r.pid})${kept}`);
      break;
    case 'killed':
      print(color.yellow(`ao daemon did not stop within 10 s and was killed (pid ${r.pid})${kept}`));
      break;
  }
  return 0;
}

/** Sessions whose pty the running daemon hosts and that are still alive; none when it cannot say. */
async function livePtySessions(paths: ReturnType<typeof resolvePaths>): Promise<string[]> {
  try {
    const { ptys } = await daemonRequest<{ ptys: { sessionId: string; alive: boolean }[] }>(paths, '/api/pty', { timeoutMs: 3000 });
    return ptys.filter((p) => p.alive).map((p) => p.sessionId);
  } catch {
    // No daemon, no pty host (e.g. node-pty unavailable) or no answer: nothing known to lose.
    return [];
  }
}
