import { definePlugin, z } from '@ao/core/plugin';
import { createTmuxRuntime } from './runtime.js';

export * from './tmux.js';
export { createTmuxRuntime, tmuxSessionName, RUNTIME_NAME, type TmuxRuntimeConfig } from './runtime.js';

const configSchema = z
  .object({
    /** Initial terminal width of new sessions. */
    cols: z.number().int().min(20).max(1000).default(200),
    /** Initial terminal height of new sessions. */
    rows: z.number().int().min(5).max(500).default(50),
    /** Keep a session's final screen after its agent exits (it then counts as not alive). */
    remainOnExit: z.boolean().default(true),
  })
  .strict();

export default definePlugin({
  name: 'tmux',
  slot: 'runtime',
  version: '0.1.0',
  description: 'Runs each agent in a detached tmux session (attach with `ao session attach`)',
  configSchema,
  create: (config, ctx) => createTmuxRuntime(config, ctx),
});
