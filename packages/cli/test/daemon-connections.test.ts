import { request, type ClientRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runAo } from './run-ao.js';
import { createSessionEnv, until, type SessionEnv } from './session-env.js';

/**
 * Slow and idle clients cannot hold the daemon: trickling sockets are closed by the server, and
 * connections beyond the cap are refused. The limits are made small through their `AO_DAEMON_*`
 * variables, and every wait is on the socket's own events.
 */

let env: SessionEnv | undefined;
const open: (Socket | ClientRequest)[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) s.destroy();
  if (env) {
    env.ao('stop', '--force');
    await env.cleanup();
    env = undefined;
  }
});

async function startDaemon(limits: Record<string, string>): Promise<{ port: number; token: string }> {
  env = await createSessionEnv();
  env.writeConfig('dashboard:\n  port: 0\n');
  const r = runAo(['start', '--no-orchestrator'], { cwd: env.repo, env: { AO_HOME: env.home, ...limits } });
  expect(r.code, r.stderr).toBe(0);
  const { port } = JSON.parse(readFileSync(join(env.home, 'daemon.json'), 'utf8')) as { port: number };
  return { port, token: readFileSync(join(env.home, 'daemon.token'), 'utf8').trim() };
}

/** A raw socket recording what the server sent and whether it closed. */
function rawSocket(port: number): { socket: Socket; received: () => string; closed: () => boolean } {
  const socket = connect(port, '127.0.0.1');
  open.push(socket);
  let received = '';
  let closed = false;
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  socket.on('close', () => (closed = true));
  socket.on('error', () => {});
  return { socket, received: () => received, closed: () => closed };
}

const get = (port: number, token: string, path = '/health'): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });

describe('slow connections', () => {
  it('closes sockets that trickle their headers, or send nothing, and keeps serving others', async () => {
    const { port, token } = await startDaemon({ AO_DAEMON_HEADERS_TIMEOUT_MS: '200' });
    const tricklers = Array.from({ length: 20 }, () => rawSocket(port));
    const timers: NodeJS.Timeout[] = [];
    for (const t of tricklers) {
      t.socket.once('connect', () => {
        t.socket.write(`GET /api/sessions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `);
        // One byte at a time, never finishing the headers: the server must end it, not we.
        const timer = setInterval(() => t.socket.writable && t.socket.write('a'), 20);
        timers.push(timer);
        t.socket.once('close', () => clearInterval(timer));
      });
    }
    const silent = rawSocket(port);
    try {
      await until(() => tricklers.every((t) => t.closed()) && silent.closed(), 20_000, 'the server to close the slow sockets');
    } finally {
      for (const timer of timers) clearInterval(timer);
    }
    for (const t of tricklers) expect(t.received()).toMatch(/^HTTP\/1\.1 408 /);
    // The daemon itself is fine.
    expect(await get(port, token)).toBe(200);
  });

  it('refuses connections beyond the cap, and serves again once one closes', async () => {
    const { port, token } = await startDaemon({ AO_DAEMON_MAX_CONNECTIONS: '4' });
    // Hold the cap with event streams (each proven accepted by its 200), retrying a refused one
    // while sockets of `ao start` itself may still be closing.
    const streams: ClientRequest[] = [];
    const openStream = (): Promise<ClientRequest | undefined> =>
      new Promise((resolve) => {
        const req = request({ host: '127.0.0.1', port, path: '/api/events', agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => resolve(res.statusCode === 200 ? req : undefined));
        open.push(req);
        req.on('error', () => resolve(undefined));
        req.end();
      });
    while (streams.length < 4) {
      const stream = await openStream();
      if (stream) streams.push(stream);
    }
    // A fifth connection is closed at once, unanswered.
    const extra = rawSocket(port);
    extra.socket.once('connect', () => extra.socket.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\n\r\n`));
    await until(extra.closed, 10_000, 'the fifth connection to be closed');
    expect(extra.received()).toBe('');

    // Retried until served: the server counts the closed stream out once it sees the FIN.
    streams[0]?.destroy();
    const status = await vi.waitFor(
      async () => {
        const s = await get(port, token).catch(() => 0);
        if (s !== 200) throw new Error(`not served yet (${s})`);
        return s;
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(status).toBe(200);
  });
});
