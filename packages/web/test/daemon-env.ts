import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSessionEnv, type SessionEnv } from '../../cli/test/session-env.js';

export { until } from '../../cli/test/session-env.js';

/**
 * A real repo, AO_HOME and fake-agent config (the CLI tests' environment) with a daemon started
 * through the built CLI on a free port. `stop()` always runs `ao stop` and kills the tmux sessions.
 */
export interface DaemonEnv extends SessionEnv {
  url: string;
  token: string;
  pid: number;
  /** fetch against the daemon with the token. */
  api(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

export async function startDaemonEnv(options: { runtime?: 'tmux' | 'process' } = {}): Promise<DaemonEnv> {
  const env = await createSessionEnv();
  env.writeConfig('dashboard:\n  port: 0\n');
  if (options.runtime === 'process') {
    // The node-pty runtime the daemon hosts, as on a machine without tmux.
    const file = join(env.repo, 'agent-orchestrator.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('  runtime: tmux\n', '  runtime: process\n'));
  }
  const r = env.ao('start', '--no-orchestrator');
  if (r.code !== 0) {
    await env.cleanup();
    throw new Error(`ao start failed (${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  const info = JSON.parse(readFileSync(join(env.home, 'daemon.json'), 'utf8')) as { url: string; pid: number };
  const token = readFileSync(join(env.home, 'daemon.token'), 'utf8').trim();
  return Object.assign(env, {
    url: info.url,
    pid: info.pid,
    token,
    api: (path: string, init: RequestInit = {}) => fetch(new URL(path, info.url), { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } }),
    async stop() {
      env.ao('stop', '--force');
      await env.cleanup();
    },
  });
}
