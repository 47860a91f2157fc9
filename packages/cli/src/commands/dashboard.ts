import { spawn } from 'node:child_process';
import { readDaemonInfo, resolvePaths, whichSync } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { color, print, printErr } from '../render.js';

/**
 * `ao dashboard [--open]`: prints the dashboard URL with the token (the page trades it for a
 * cookie and drops it from the address bar), or opens it in the browser when there is a display.
 * Exit 1 with how to start the daemon when it is not running.
 */
export async function run([opts]: unknown[], _globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { open?: boolean };
  // No config needed: the daemon is found through $AO_HOME alone.
  const paths = resolvePaths(process.env);
  const info = readDaemonInfo(paths);
  if (!info) {
    printErr('ao daemon is not running: start it with `ao start` (or `ao start --no-orchestrator`), then run `ao dashboard` again');
    return 1;
  }
  const url = `${info.url}/?token=${info.token}`;
  if (!flags.open) {
    print(url);
    return 0;
  }
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
  const display = process.platform === 'darwin' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
  if (!display || !whichSync(opener)) {
    print(url);
    printErr(color.dim(`(no display or no ${opener} here: open the URL above in a browser)`));
    return 0;
  }
  const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
  child.on('error', () => {});
  child.unref();
  print(`opened ${info.url} in the browser`);
  return 0;
}
