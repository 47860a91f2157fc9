import { resolvePaths } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { color, print } from '../render.js';

/** `ao stop`: stops the daemon; sessions, their terminals and workspaces keep running. */
export async function run(_args: unknown[], _globals: GlobalOptions): Promise<number> {
  // No config needed: the daemon is found through $AO_HOME alone.
  const paths = resolvePaths(process.env);
  const { stopDaemon } = await import('../daemon/process.js');
  const r = await stopDaemon(paths);
  switch (r.result) {
    case 'not-running':
      print('ao daemon is not running');
      break;
    case 'stale':
      print(`ao daemon is not running; removed its stale files (pid ${r.pid} was gone)`);
      break;
    case 'stopped':
      print(`ao daemon stopped (pid ${r.pid}); sessions keep running`);
      break;
    case 'killed':
      print(color.yellow(`ao daemon did not stop within 10 s and was killed (pid ${r.pid}); sessions keep running`));
      break;
  }
  return 0;
}
