import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AoPaths } from './contracts/plugin.js';

/** The data dir layout. `AO_HOME` overrides the default `~/.agent-orchestrator`. */
export function resolvePaths(env: Readonly<Record<string, string | undefined>> = process.env): AoPaths {
  const home = resolve(env.AO_HOME && env.AO_HOME.trim() !== '' ? env.AO_HOME : join(homedir(), '.agent-orchestrator'));
  return {
    home,
    logs: join(home, 'logs'),
    project: (name) => join(home, 'projects', name),
    sessions: (project) => join(home, 'projects', project, 'sessions'),
    worktrees: (project) => join(home, 'worktrees', project),
  };
}
