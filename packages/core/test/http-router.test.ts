import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AoError, isAoError } from '../src/errors.js';
import { createRouter, route, statusForCode } from '../src/http-router.js';
import { remoteError } from '../src/daemon-client.js';

/** The router over a real node:http server on 127.0.0.1, asked with fetch. */

let server: Server;
let base: string;
const failures: unknown[] = [];

beforeAll(async () => {
  const router = createRouter(
    [
      route({ method: 'GET', path: '/api/things', handler: () => ({ things: [] }) }),
      route({
        method: 'POST',
        path: '/api/things',
        status: 201,
        body: z.object({ name: z.string().min(1), size: z.number().int().optional() }).strict(),
        handler: ({ body }) => ({ created: body.name, size: body.size ?? null }),
      }),
      route({ method: 'GET', path: '/api/things/:id', handler: ({ params }) => ({ id: params.id }) }),
      route({
        method: 'POST',
        path: '/api/things/:id/send',
        body: z.object({ message: z.string() }),
        handler: ({ params, body }) => ({ to: params.id, message: body.message }),
      }),
      route({
        method: 'GET',
        path: '/api/things/:id/screen',
        query: z.object({ lines: z.coerce.number().int().min(0).default(0) }),
        handler: ({ params, query }) => {
          if (params.id === 'gone') throw new AoError('SESSION_NOT_FOUND', `Session "${params.id}" not found: see ao session ls`);
          if (params.id === 'busy') throw new AoError('SESSION_BUSY', 'busy: try again');
          if (params.id === 'bug') throw new Error('kaboom');
          return { lines: query.lines };
        },
      }),
      route({
        method: 'GET',
        path: '/text',
        handler: ({ res }) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('plain');
        },
      }),
    ],
    { maxBodyBytes: 64 * 1024, onError: (error) => failures.push(error) },
  );
  server = createServer(router.listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; allow: string | null; type: string | null; json: Record<string, unknown> & { error?: { code: string; message: string } } }> {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, allow: res.headers.get('allow'), type: res.headers.get('content-type'), json: text && res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : { text } };
}

describe('http router', () => {
  it('matches literal paths and :params (decoded), with the route status, trailing slash or not', async () => {
    expect(await call('GET', '/api/things')).toMatchObject({ status: 200, json: { things: [] } });
    expect(await call('GET', '/api/things/')).toMatchObject({ status: 200, json: { things: [] } });
    expect(await call('GET', '/api/things/a%20b')).toMatchObject({ status: 200, json: { id: 'a b' } });
    expect(await call('POST', '/api/things/s-1/send', { message: 'hi' })).toMatchObject({ status: 200, json: { to: 's-1', message: 'hi' } });
    expect(await call('POST', '/api/things', { name: 'x', size: 3 })).toMatchObject({ status: 201, json: { created: 'x', size: 3 } });
    expect(await call('GET', '/text')).toMatchObject({ status: 200, json: { text: 'plain' } });
  });

  it('answers 404 NOT_FOUND for an unknown path and 405 with Allow for a known path and another method', async () => {
    const missing = await call('GET', '/api/nothing');
    expect(missing.status).toBe(404);
    expect(missing.json.error?.code).toBe('NOT_FOUND');
    expect((await call('GET', '/api/things/a/b/c')).status).toBe(404);
    const wrong = await call('DELETE', '/api/things');
    expect(wrong.status).toBe(405);
    expect(wrong.allow).toBe('GET, POST');
    expect(wrong.json.error).toEqual({ code: 'METHOD_NOT_ALLOWED', message: 'DELETE is not allowed on /api/things: use GET, POST' });
    expect((await call('POST', '/api/things/x')).allow).toBe('GET');
  });

  it('refuses a body or query its schema refuses with 400 USAGE naming the field', async () => {
    const wrongType = await call('POST', '/api/things', { name: 'x', size: 'big' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.error?.code).toBe('USAGE');
    expect(wrongType.json.error?.message).toMatch(/^Invalid request body: size: Expected number, received string/);
    const missing = await call('POST', '/api/things/s-1/send', {});
    expect(missing.json.error).toEqual({ code: 'USAGE', message: 'Invalid request body: message: Required' });
    const extra = await call('POST', '/api/things', { name: 'x', colour: 'red' });
    expect(extra.json.error?.message).toContain("Unrecognized key(s) in object: 'colour'");
    const notJson = await call('POST', '/api/things', '{nope');
    expect(notJson.status).toBe(400);
    expect(notJson.json.error?.message).toMatch(/^Request body is not JSON/);
    const query = await call('GET', '/api/things/a/screen?lines=-1');
    expect(query.status).toBe(400);
    expect(query.json.error?.message).toMatch(/^Invalid query: lines: Number must be greater than or equal to 0/);
    expect((await call('GET', '/api/things/a/screen?lines=7')).json).toEqual({ lines: 7 });
    const big = await call('POST', '/api/things', { name: 'x'.repeat(70 * 1024) });
    expect(big.json.error).toEqual({ code: 'USAGE', message: 'Request body is larger than 65536 bytes' });
  });

  it("answers an AoError with its code's status, code and message; anything else is a 500 INTERNAL, reported", async () => {
    expect(await call('GET', '/api/things/gone/screen')).toMatchObject({
      status: 404,
      json: { error: { code: 'SESSION_NOT_FOUND', message: 'Session "gone" not found: see ao session ls' } },
    });
    expect(await call('GET', '/api/things/busy/screen')).toMatchObject({ status: 409, json: { error: { code: 'SESSION_BUSY' } } });
    expect(failures).toHaveLength(0);
    expect(await call('GET', '/api/things/bug/screen')).toMatchObject({ status: 500, json: { error: { code: 'INTERNAL', message: 'kaboom' } } });
    expect(failures).toHaveLength(1);
  });

  it('statusForCode: one table for every server', () => {
    expect(statusForCode('SESSION_NOT_FOUND')).toBe(404);
    expect(statusForCode('RUNTIME_NOT_FOUND')).toBe(404);
    expect(statusForCode('USAGE')).toBe(400);
    expect(statusForCode('CONFIG_INVALID')).toBe(400);
    expect(statusForCode('RUNTIME_STATE')).toBe(409);
    expect(statusForCode('APPROVAL_STATE')).toBe(409);
    expect(statusForCode('DAEMON_UNAVAILABLE')).toBe(503);
    expect(statusForCode('RUNTIME_FAILED')).toBe(500);
  });

  it("the client side: an error answer becomes the remote AoError, with its code and message", () => {
    const known = remoteError(404, JSON.stringify({ error: { code: 'SESSION_NOT_FOUND', message: 'Session "x" not found' } }), '/api/sessions/x');
    expect(isAoError(known) && known.code).toBe('SESSION_NOT_FOUND');
    expect(known.message).toBe('Session "x" not found');
    expect(known.details).toMatchObject({ status: 404, path: '/api/sessions/x' });
    expect(remoteError(400, JSON.stringify({ error: { code: 'USAGE', message: 'bad' } }), '/').exitCode).toBe(2);
    const route404 = remoteError(404, JSON.stringify({ error: { code: 'NOT_FOUND', message: 'No route GET /x' } }), '/x');
    expect([route404.code, route404.message]).toEqual(['DAEMON_FAILED', 'ao daemon: No route GET /x (NOT_FOUND)']);
    expect(remoteError(502, '<html>', '/x').message).toBe('ao daemon: HTTP 502: <html>');
  });
});
