import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { daemonRequest, isAoError, resolvePaths } from '@ao/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionEnv, type SessionEnv } from './session-env.js';

/**
 * The daemon's cross-site and DNS-rebinding guard, against a real daemon over real HTTP: the
 * requests below are the ones a hostile page's browser would send.
 */

let env: SessionEnv;
let port: number;
let token: string;

beforeAll(async () => {
  env = await createSessionEnv();
  env.writeConfig('dashboard:\n  port: 0\n');
  const r = env.ao('start', '--no-orchestrator');
  expect(r.code, r.stderr).toBe(0);
  port = (JSON.parse(readFileSync(join(env.home, 'daemon.json'), 'utf8')) as { port: number }).port;
  token = readFileSync(join(env.home, 'daemon.token'), 'utf8').trim();
});
afterAll(async () => {
  env.ao('stop', '--force');
  await env.cleanup();
});

interface Answer {
  status: number;
  body: string;
  allow?: string | undefined;
}

/** One HTTP request to the daemon with exactly these headers (Host included, which fetch cannot set). */
function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // An explicit length: node sends a DELETE body unframed otherwise, and it would poison the kept-alive socket.
    const length = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...length, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, allow: res.headers.allow }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const cookie = (): string => `ao_token=${token}`;
const sessionCount = (): number => (JSON.parse(env.ao('session', 'ls', '--json').stdout) as unknown[]).length;
const code = (a: Answer): string | undefined => (JSON.parse(a.body) as { error?: { code?: string } }).error?.code;

/** The status a WebSocket upgrade is answered with (101 = switched). */
function upgradeStatus(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      headers: { host: `127.0.0.1:${port}`, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('cross-site requests', () => {
  it('a text/plain POST from a page on another 127.0.0.1 port, with the cookie, spawns nothing (403)', async () => {
    const before = sessionCount();
    const attack = await send('POST', '/api/sessions', { cookie: cookie(), origin: 'http://127.0.0.1:8000', 'content-type': 'text/plain;charset=UTF-8' }, '{"prompt":"pwned"}');
    expect(attack.status).toBe(403);
    expect(code(attack)).toBe('ORIGIN_NOT_ALLOWED');
    // The same with a JSON content type (which a page can only send after a CORS preflight we never grant).
    const json = await send('POST', '/api/sessions', { cookie: cookie(), origin: 'http://127.0.0.1:8000', 'content-type': 'application/json' }, '{"prompt":"pwned"}');
    expect(json.status).toBe(403);
    for (const origin of ['null', 'https://127.0.0.1:' + port, 'http://evil.example:' + port]) {
      expect((await send('POST', '/api/lifecycle/poll', { cookie: cookie(), origin, 'content-type': 'application/json' }, '{}')).status, origin).toBe(403);
    }
    expect(sessionCount()).toBe(before);
  });

  it('a mutation without `Content-Type: application/json` is refused (415), whatever the route', async () => {
    const before = sessionCount();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]) {
      const headers: Record<string, string> = { cookie: cookie(), ...(type ? { 'content-type': type } : {}) };
      const spawn = await send('POST', '/api/sessions', headers, '{"prompt":"pwned"}');
      expect(spawn.status, String(type)).toBe(415);
      expect(code(spawn)).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    // Every mutating method and route, the pty routes and unknown paths included: the check is in the server.
    for (const [method, path] of [['POST', '/api/sessions/app-1/send'], ['PUT', '/api/sessions'], ['PATCH', '/x'], ['DELETE', '/api/sessions/app-1'], ['POST', '/api/pty/app-1/write']]) {
      expect((await send(method as string, path as string, { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, 'x')).status, `${method} ${path}`).toBe(415);
    }
    expect(sessionCount()).toBe(before);
  });

  it("the daemon's own origin, by any of its loopback names, with JSON, is served", async () => {
    for (const name of ['127.0.0.1', 'localhost']) {
      const ok = await send('POST', '/api/lifecycle/poll', { cookie: cookie(), host: `${name}:${port}`, origin: `http://${name}:${port}`, 'content-type': 'application/json; charset=utf-8' }, '{"reason":"test"}');
      expect(ok.status, name).toBe(202);
    }
    // GETs need no content type; a script (no Origin) with the Bearer token is served.
    expect((await send('GET', '/api/sessions', { authorization: `Bearer ${token}` })).status).toBe(200);
    const spawned = await send('POST', '/api/sessions', { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, '{"prompt":"legit"}');
    expect(spawned.status, spawned.body).toBe(201);
  });
});

describe('DNS rebinding', () => {
  it('a request for any Host but ours is refused (421), even with the token', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `127.0.0.1:${port + 1}`, `0.0.0.0:${port}`]) {
      const r = await send('GET', '/api/sessions', { authorization: `Bearer ${token}`, host });
      expect(r.status, host).toBe(421);
      expect(code(r)).toBe('HOST_NOT_ALLOWED');
      expect(r.body).not.toContain('"sessions"');
    }
    const page = await send('GET', `/?token=${token}`, { host: `evil.example:${port}` });
    expect(page.status).toBe(421);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      expect((await send('GET', '/api/sessions', { authorization: `Bearer ${token}`, host })).status, host).toBe(200);
    }
  });

  it('the WebSocket upgrade gets the same Host and Origin checks', async () => {
    const path = `/api/sessions/app-1/terminal?token=${token}`;
    expect(await upgradeStatus(path, { host: `evil.example:${port}` })).toBe(421);
    expect(await upgradeStatus(path, { origin: 'http://127.0.0.1:8000' })).toBe(403);
    expect(await upgradeStatus(path, { origin: `http://evil.example:${port}`, host: `evil.example:${port}` })).toBe(421);
    expect(await upgradeStatus(path, { origin: `http://127.0.0.1:${port}` })).toBe(101);
  });
});

describe('one error shape, end to end', () => {
  const auth = (): Record<string, string> => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
  const errorOf = (a: Answer): { code: string; message: string } => (JSON.parse(a.body) as { error: { code: string; message: string } }).error;
  const clientError = (path: string, body: unknown): Promise<unknown> =>
    daemonRequest(resolvePaths({ AO_HOME: env.home }), path, { method: 'POST', body }).then(
      () => undefined,
      (error: unknown) => error,
    );

  it("an API error reaches the client as the daemon's AoError: its code and message", async () => {
    const answer = await send('POST', '/api/sessions/nope-9/send', auth(), '{"message":"hi"}');
    expect(answer.status).toBe(404);
    expect(errorOf(answer).code).toBe('SESSION_NOT_FOUND');
    // core's daemon client (the CLI's, the process runtime's): the remote code, not DAEMON_FAILED.
    const error = await clientError('/api/sessions/nope-9/send', { message: 'hi' });
    expect(isAoError(error) && [error.code, error.message, error.details.status]).toEqual(['SESSION_NOT_FOUND', errorOf(answer).message, 404]);
    const usage = await clientError('/api/sessions', { prompt: 'x', priority: 11 });
    expect(isAoError(usage) && [usage.code, usage.exitCode, usage.message]).toEqual(['USAGE', 2, 'Invalid request body: priority: must be an integer from 1 (lowest) to 10 (highest)']);
  });

  it('a body the route does not take is a 400 USAGE naming the field, and nothing is spawned', async () => {
    const before = sessionCount();
    const typo = await send('POST', '/api/sessions', auth(), '{"promt":"do it"}');
    expect(typo.status).toBe(400);
    expect(errorOf(typo)).toEqual({ code: 'USAGE', message: "Invalid request body: Unrecognized key(s) in object: 'promt'" });
    const keys = await send('POST', '/api/sessions/nope-9/send', auth(), '{"keys":"Down"}');
    expect(errorOf(keys)).toEqual({ code: 'USAGE', message: 'Invalid request body: keys: must be a list of key names or single characters' });
    const review = await send('POST', '/api/sessions/nope-9/review', auth(), '{"decision":"lgtm"}');
    expect(errorOf(review).message).toMatch(/^Invalid request body: decision: Invalid enum value\. Expected 'approve' \| 'request-changes', received 'lgtm'/);
    expect(sessionCount()).toBe(before);
  });

  it('another method on a known path is 405 with Allow', async () => {
    const answer = await send('DELETE', '/api/sessions', auth(), '{}');
    expect([answer.status, answer.allow]).toEqual([405, 'GET, POST']);
    expect(errorOf(answer).code).toBe('METHOD_NOT_ALLOWED');
  });
});
