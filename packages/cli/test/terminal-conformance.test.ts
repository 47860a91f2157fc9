// The terminal plugins on a real runtime (tmux), through the testkit's terminal conformance suite.
// It lives in the CLI's tests because the CLI is the one package that may name plugins of two
// slots together (architecture.test.ts): a terminal plugin knows the Runtime contract, not tmux.
import { mkdtemp, realpath, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, processStartTime, resolvePaths, silentLogger, systemClock, type PluginContext } from '@ao/core';
import tmuxRuntime from '@ao/plugin-runtime-tmux';
import tmuxTerminal from '@ao/plugin-terminal-tmux';
import webTerminal from '@ao/plugin-terminal-web';
import { terminalConformance } from '@ao/testkit/terminal-conformance';

/** A tmux runtime over a fresh AO_HOME (its own tmux server: the suite's TMUX_TMPDIR). */
async function tmuxSetup() {
  const root = await realpath(await mkdtemp(join(tmpdir(), 'ao-terminal-conf-')));
  const cwd = join(root, 'work');
  await mkdir(cwd, { recursive: true });
  const env = { ...process.env, AO_HOME: join(root, 'home') };
  const ctx: PluginContext = { logger: silentLogger, paths: resolvePaths(env), exec, clock: systemClock, env, configDir: root };
  const runtime = await tmuxRuntime.create(tmuxRuntime.configSchema.parse({}), ctx);
  return { root, cwd, ctx, runtime, cleanup: () => rm(root, { recursive: true, force: true }) };
}

terminalConformance(
  'tmux on the tmux runtime',
  async () => {
    const { cwd, ctx, runtime, cleanup } = await tmuxSetup();
    return { terminal: await tmuxTerminal.create({}, ctx), runtime, cwd, cleanup };
  },
  { plan: 'argv' },
);

terminalConformance(
  'web on the tmux runtime',
  async () => {
    const { cwd, ctx, runtime, cleanup } = await tmuxSetup();
    // The record a running daemon writes (this process stands in for it: its pid and start time).
    await mkdir(ctx.paths.home, { recursive: true });
    await writeFile(join(ctx.paths.home, 'daemon.json'), JSON.stringify({ pid: process.pid, host: '127.0.0.1', port: 4321, url: 'http://127.0.0.1:4321', startedAt: new Date().toISOString(), version: '0', startTime: processStartTime(process.pid) }));
    await writeFile(join(ctx.paths.home, 'daemon.token'), 'conformance-token\n');
    return { terminal: await webTerminal.create({}, ctx), runtime, cwd, cleanup };
  },
  { plan: 'url' },
);
