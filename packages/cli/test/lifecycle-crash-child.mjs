// A lifecycle poll that stops dead at a chosen point, so the test can SIGKILL it there:
//   node lifecycle-crash-child.mjs <config file> <event type> <reaction>
// It runs one pollOnce with the BUILT packages (run `pnpm build` first) and, right after it has
// appended an event of <event type> for <reaction>, prints "HALTED" and waits forever.
import {
  createLifecycleManager,
  createPluginRegistry,
  createSessionManager,
  createSessionStore,
  exec,
  loadConfig,
  resolveConfig,
  resolvePaths,
  silentLogger,
  systemClock,
} from '@ao/core';

const [configFile, eventType, reaction] = process.argv.slice(2);
const env = process.env;
const registry = createPluginRegistry([
  { slot: 'runtime', name: 'tmux', load: () => import('@ao/plugin-runtime-tmux') },
  { slot: 'agent', name: 'command', load: () => import('@ao/plugin-agent-command') },
  { slot: 'workspace', name: 'worktree', load: () => import('@ao/plugin-workspace-worktree') },
  { slot: 'tracker', name: 'local', load: () => import('@ao/plugin-tracker-local') },
  { slot: 'scm', name: 'local', load: () => import('@ao/plugin-scm-local') },
  { slot: 'notifier', name: 'console', load: () => import('@ao/plugin-notifier-console') },
  { slot: 'terminal', name: 'tmux', load: () => import('@ao/plugin-terminal-tmux') },
]);
const config = await resolveConfig(loadConfig({ file: configFile, cwd: process.cwd(), env }), registry, { env });
const paths = resolvePaths(env);
const store = createSessionStore(paths);
const deps = { config, store, paths, logger: silentLogger, clock: systemClock };
const manager = createSessionManager({ ...deps, registry, exec, env });
const lifecycle = createLifecycleManager({
  ...deps,
  manager,
  hooks: {
    async afterRecord(event) {
      if (event.type === eventType && event.data?.reaction === reaction) {
        process.stdout.write('HALTED\n');
        await new Promise(() => {});
      }
    },
  },
});
await lifecycle.pollOnce();
process.stdout.write('FINISHED\n');
