import type { BuiltinPlugin } from '@ao/core';

/**
 * Built-in plugins by slot and name. Each is imported only when a command first needs it, so
 * `ao --help` and `ao status` don't load plugins they never use.
 */
export const BUILTIN_PLUGINS: readonly BuiltinPlugin[] = [
  { slot: 'runtime', name: 'tmux', load: () => import('@ao/plugin-runtime-tmux') },
  { slot: 'runtime', name: 'process', load: () => import('@ao/plugin-runtime-process') },
  { slot: 'runtime', name: 'ssh', load: () => import('@ao/plugin-runtime-ssh') },
  { slot: 'agent', name: 'command', load: () => import('@ao/plugin-agent-command') },
  { slot: 'agent', name: 'claude-code', load: () => import('@ao/plugin-agent-claude-code') },
  { slot: 'agent', name: 'codex', load: () => import('@ao/plugin-agent-codex') },
  { slot: 'agent', name: 'aider', load: () => import('@ao/plugin-agent-aider') },
  { slot: 'agent', name: 'opencode', load: () => import('@ao/plugin-agent-opencode') },
  { slot: 'workspace', name: 'worktree', load: () => import('@ao/plugin-workspace-worktree') },
  { slot: 'workspace', name: 'clone', load: () => import('@ao/plugin-workspace-clone') },
  { slot: 'tracker', name: 'local', load: () => import('@ao/plugin-tracker-local') },
  { slot: 'tracker', name: 'github', load: () => import('@ao/plugin-tracker-github') },
  { slot: 'scm', name: 'local', load: () => import('@ao/plugin-scm-local') },
  { slot: 'scm', name: 'github', load: () => import('@ao/plugin-scm-github') },
  { slot: 'notifier', name: 'console', load: () => import('@ao/plugin-notifier-console') },
  { slot: 'notifier', name: 'desktop', load: () => import('@ao/plugin-notifier-desktop') },
  { slot: 'notifier', name: 'webhook', load: () => import('@ao/plugin-notifier-webhook') },
  { slot: 'notifier', name: 'slack', load: () => import('@ao/plugin-notifier-slack') },
  { slot: 'terminal', name: 'tmux', load: () => import('@ao/plugin-terminal-tmux') },
  { slot: 'terminal', name: 'web', load: () => import('@ao/plugin-terminal-web') },
];
