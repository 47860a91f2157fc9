import { daemonFiles, readDaemonInfo } from '@ao/core';
import { loadCliContext, type GlobalOptions } from '../context.js';
import { color, print, printErr } from '../render.js';

interface StartFlags {
  foreground?: boolean;
  /** commander's negated `--no-orchestrator`: false when given. */
  orchestrator?: boolean;
}

/** How long `ao start` waits for the orchestrator session after the daemon is up. */
const ORCHESTRATOR_WAIT_MS = 60_000;

/**
 * `ao start [--no-orchestrator]`: runs the daemon in the background and waits until it answers;
 * `--foreground` runs it in this process (for service managers and the background start itself).
 */
export async function run([opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as StartFlags;
  const withOrchestrator = flags.orchestrator !== false;
  if (flags.foreground) {
    const { runDaemonHere: runDaemon } = await import('../daemon-host.js');
    return runDaemon(globals, { orchestrator: withOrchestrator });
  }

  // Validate the config here, so a typo is reported by `ao start` itself, not by a log file.
  const { paths, config, cwd } = await loadCliContext(globals);
  const { daemonState, removeStaleDaemonInfo } = await import('@ao/daemon/client');
  const state = daemonState(paths);
  if (state.state === 'running') {
    const running = readDaemonInfo(paths);
    print(`ao daemon is already running (pid ${state.info.pid}) at ${state.info.url}`);
    if (running) print(`dashboard: ${running.url}/?token=${running.token}`);
    return 0;
  }
  if (state.state === 'stale') printErr(color.dim(removeStaleDaemonInfo(paths, state)));

  const { spawnDaemon } = await import('@ao/daemon/client');
  let started: Awaited<ReturnType<typeof spawnDaemon>>;
  try {
    started = await spawnDaemon({
      paths,
      cwd,
      globalArgs: [...(globals.config ? ['--config', globals.config] : []), ...(globals.verbose ? ['--verbose'] : [])],
      startArgs: withOrchestrator ? [] : ['--no-orchestrator'],
    });
  } catch (error) {
    // Lost a race with another `ao start`: its daemon is the daemon.
    const now = daemonState(paths);
    if (now.state !== 'running') throw error;
    print(`ao daemon is already running (pid ${now.info.pid}) at ${now.info.url}`);
    return 0;
  }
  const { info, token } = started;
  print(`ao daemon started (pid ${info.pid})`);
  print(`api:       ${info.url}`);
  print(`dashboard: ${info.url}/?token=${token}`);
  print(`log:       ${daemonFiles(paths).log}`);
  const { isLoopback } = await import('@ao/daemon/client');
  if (!isLoopback(config.dashboard.host)) {
    printErr(color.yellow(`ao: warning: the daemon listens on ${config.dashboard.host}, reachable from other machines; anyone with the token can drive your agents`));
  }

  if (withOrchestrator && config.orchestrator.enabled) {
    const { waitForOrchestrator } = await import('@ao/daemon/client');
    const o = await waitForOrchestrator(paths, ORCHESTRATOR_WAIT_MS);
    if (o.state === 'running') print(`orchestrator: ${o.sessionId}${o.spawned ? '' : ' (already running)'}   attach: ao session attach ${o.sessionId}`);
    else if (o.state === 'failed') printErr(color.yellow(`ao: warning: the orchestrator session could not be started: ${o.error}\n  the daemon runs without it; fix the cause and run \`ao stop && ao start\`, or use --no-orchestrator`));
    else if (o.state === 'disabled') print(`orchestrator: not started: ${o.reason}`);
    else if (o.state === 'starting') printErr(color.yellow(`ao: warning: the orchestrator session is still starting; see \`ao daemon status\``));
  }
  return 0;
}
