import { definePlugin, z } from '@ao/core/plugin';
import { configureProcessDaemon } from './daemon.js';
import { createProcessRuntime } from './runtime.js';

export { createProcessRuntime, RUNTIME_NAME, type ProcessRuntimeConfig } from './runtime.js';
export { createPtyHost, ptyIdFor, type PtyHost, type PtyHostOptions, type PtySendOptions } from './host.js';
export { createPtyRouter } from './routes.js';
export { configureProcessDaemon } from './daemon.js';
export { createPtyTerminalServer, openPtyTerminal } from './terminal-socket.js';
export { createTerminalScreen, type TerminalScreen, type TerminalScreenOptions } from './screen.js';
export { ptyDir, type PtyRecord } from './records.js';
export * from './wire.js';

const configSchema = z
  .object({
    /** Initial terminal width of new sessions. */
    cols: z.number().int().min(20).max(1000).default(200),
    /** Initial terminal height of new sessions. */
    rows: z.number().int().min(5).max(500).default(50),
  })
  .strict();

export default definePlugin({
  name: 'process',
  slot: 'runtime',
  version: '0.1.0',
  description: 'Runs each agent in a pty hosted by the ao daemon (no tmux needed; needs `ao start`)',
  configSchema,
  create: (config, ctx) => createProcessRuntime(config, ctx),
  configureDaemon: configureProcessDaemon,
});
