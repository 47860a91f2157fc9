import { definePlugin } from '@ao/core/plugin';
import { sshRuntimeConfigSchema } from './config.js';
import { createSshRuntime } from './runtime.js';

export { createSshRuntime, sshSessionName, RUNTIME_NAME, type SshRuntime } from './runtime.js';
export { sshRuntimeConfigSchema, type SshRuntimeConfig, type SshHostConfig } from './config.js';
export type { HostProbe } from './placement.js';

export default definePlugin({
  name: 'ssh',
  slot: 'runtime',
  version: '0.1.0',
  description: 'Runs each agent in tmux on another machine reached by ssh, placed on the least loaded host',
  configSchema: sshRuntimeConfigSchema,
  create: (config, ctx) => createSshRuntime(config, ctx),
});
