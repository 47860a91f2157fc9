import { daemonRequest, resolvePaths, TERMINAL_STATUSES, type Session } from '@ao/core';
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
  const running = (await liveSessions(paths)).filter((s) => !hosted.includes(s.id));
  const { stopDaemon } = await import('@ao/daemon/client');
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
  if (running.length > 0 && (r.result === 'stopped' || r.result === 'killed')) {
    // Say what is left running, so nobody wonders where their agents (and their memory) went.
    const names = running.map((s) => (s.role === 'orchestrator' ? `${s.id} (orchestrator)` : s.id));
    print(`still running, without the daemon's reactions: ${names.join(', ')}`);
    print('  attach: ao session attach <id> · end one: ao session kill <id> (its workspace is kept) · resume reactions: ao start');
  }
  return 0;
}

/** Sessions whose agents run (asked from the daemon before it stops); none when it cannot say. */
async function liveSessions(paths: ReturnType<typeof resolvePaths>): Promise<Session[]> {
  try {
    const { sessions } = await daemonRequest<{ sessions: Session[] }>(paths, '/api/sessions', { timeoutMs: 3000 });
    return sessions.filter((s) => !TERMINAL_STATUSES.includes(s.status) && s.activity !== 'exited' && s.status !== 'queued');
  } catch {
    return [];
  }
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
