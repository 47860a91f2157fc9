// A plugin adds routes, WebSockets and services to the daemon through its `configureDaemon` hook;
// the daemon mounts them without naming the plugin, behind its own token, Host and Origin checks.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAo } from './run-ao.js';
import { createSessionEnv, type SessionEnv } from './session-env.js';

let env: SessionEnv;
beforeEach(async () => {
  env = await createSessionEnv();
});
afterEach(async () => {
  env.ao('stop', '--force');
  await env.cleanup();
});

/**
 * A notifier plugin, as a user would write one next to the config: plain ESM, no dependency.
 * `configureDaemon` adds GET /api/hello, an `echo` upgrade at /api/hello/echo, and a close hook
 * that leaves a file behind; with AO_HELLO_FAIL set it refuses to configure.
 */
const PLUGIN = `
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
const schema = { safeParse: (input) => ({ success: true, data: input ?? {} }) };
export default {
  name: 'hello', slot: 'notifier', version: '0.0.1', configSchema: schema,
  create: () => ({ async notify() {} }),
  configureDaemon(daemon, ctx) {
    if (ctx.env.AO_HELLO_FAIL) {
      const error = new Error('hello needs a greeting: set hello.greeting in the config');
      error.name = 'AoError';
      error.code = 'CONFIG_INVALID';
      throw error;
    }
    let requests = 0;
    daemon.use(async (req, res, url) => {
      if (url.pathname !== '/api/hello') return false;
      requests += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ hello: 'from a plugin', requests }));
      return true;
    });
    daemon.upgrade((req, socket, head, url) => {
      if (url.pathname !== '/api/hello/echo') return false;
      socket.write('HTTP/1.1 101 Switching Protocols\\r\\nupgrade: echo\\r\\nconnection: Upgrade\\r\\n\\r\\n');
      socket.pipe(socket);
      return true;
    });
    daemon.onClose(() => writeFileSync(join(ctx.paths.home, 'hello-closed'), String(requests)));
  },
};
`;

const info = (): { url: string } => JSON.parse(readFileSync(join(env.home, 'daemon.json'), 'utf8')) as { url: string };
const token = (): string => readFileSync(join(env.home, 'daemon.token'), 'utf8').trim();

/** An `Upgrade: echo` request; resolves with what the upgraded socket sent back for `text`. */
function echoOverUpgrade(text: string, headers: Record<string, string>): Promise<{ status: number; echoed?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL('/api/hello/echo', info().url), { headers: { connection: 'Upgrade', upgrade: 'echo', ...headers } });
    req.on('upgrade', (res, socket) => {
      socket.once('data', (data: Buffer) => {
        resolve({ status: res.statusCode ?? 0, echoed: data.toString('utf8') });
        socket.destroy();
      });
      socket.write(text);
    });
    req.on('response', (res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
    });
    req.on('error', reject);
    req.end();
  });
}

describe('plugins in the daemon (configureDaemon)', () => {
  it("mounts a plugin's route and upgrade behind the token, and runs its close hook at stop", async () => {
    writeFileSync(join(env.repo, 'ao-plugin-hello.mjs'), PLUGIN);
    env.writeConfig('dashboard:\n  port: 0\nplugins:\n  - ./ao-plugin-hello.mjs\n');
    const start = env.ao('start', '--no-orchestrator');
    expect(start.code, start.stderr).toBe(0);

    expect((await fetch(new URL('/api/hello', info().url))).status).toBe(401);
    const res = await fetch(new URL('/api/hello', info().url), { headers: { authorization: `Bearer ${token()}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ hello: 'from a plugin', requests: 1 });

    expect(await echoOverUpgrade('ping', {})).toEqual({ status: 401 });
    expect(await echoOverUpgrade('ping', { authorization: `Bearer ${token()}`, origin: 'http://evil.example' })).toEqual({ status: 403 });
    expect(await echoOverUpgrade('ping through the plugin', { authorization: `Bearer ${token()}` })).toEqual({ status: 101, echoed: 'ping through the plugin' });

    expect(existsSync(join(env.home, 'hello-closed'))).toBe(false);
    expect(env.ao('stop').code).toBe(0);
    expect(readFileSync(join(env.home, 'hello-closed'), 'utf8')).toBe('1');
  });

  it("does not start when a plugin's configureDaemon throws, and says why", () => {
    writeFileSync(join(env.repo, 'ao-plugin-hello.mjs'), PLUGIN);
    env.writeConfig('dashboard:\n  port: 0\nplugins:\n  - ./ao-plugin-hello.mjs\n');
    const start = runAo(['start', '--no-orchestrator'], { cwd: env.repo, env: { AO_HOME: env.home, AO_HELLO_FAIL: '1' } });
    expect(start.code).toBe(1);
    expect(start.stderr).toContain('hello needs a greeting');
    expect(existsSync(join(env.home, 'daemon.json'))).toBe(false);
  });
});
