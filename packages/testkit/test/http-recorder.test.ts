import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHttpRecorder, type HttpRecorder } from '../src/http-recorder.js';

async function post(url: string, body: string, timeoutMs = 5000): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-test': 'yes' },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
}

describe('http recorder', () => {
  let server: HttpRecorder;
  beforeEach(async () => {
    server = await startHttpRecorder();
  });
  afterEach(async () => {
    await server.close();
  });

  it('records method, path, headers and body, parsing JSON bodies', async () => {
    const response = await post(`${server.url}/hook?a=1`, '{"hello":"wörld"}');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
    await post(server.url, 'not json');
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/hook?a=1', body: '{"hello":"wörld"}', json: { hello: 'wörld' }, index: 1 });
    expect(server.requests[0]!.headers['x-test']).toBe('yes');
    expect(server.requests[1]).toMatchObject({ body: 'not json', json: undefined, index: 2 });
  });

  it('answers queued responses in order, then the default', async () => {
    server.failNext(2);
    server.respond({ status: 429, headers: { 'retry-after': '3' }, body: 'slow down' });
    server.setDefault({ status: 201, body: 'created' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(server.url, '{}')).status);
    expect(statuses).toEqual([503, 503, 429, 201, 201]);
    server.respond({ status: 429, headers: { 'retry-after': '3' } });
    expect((await post(server.url, '{}')).headers.get('retry-after')).toBe('3');
  });

  it('can drop the connection or answer late, and still records the request', async () => {
    server.respond({ drop: true }, { delayMs: 2000 });
    await expect(post(server.url, '{"n":1}')).rejects.toThrow();
    await expect(post(server.url, '{"n":2}', 200)).rejects.toThrow();
    expect((await post(server.url, '{"n":3}')).status).toBe(200);
    expect(server.requests.map((r) => r.json)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('waits for requests that arrive later, and times out with a clear message', async () => {
    const waiting = server.waitForRequests(2);
    await post(server.url, '{}');
    // Sent without awaiting it: the wait, started before either request, resolves once it arrives.
    void post(server.url, '{}');
    expect(await waiting).toHaveLength(2);
    await expect(server.waitForRequests(3, 50)).rejects.toThrow('expected 3 requests within 50 ms, got 2');
    server.reset();
    expect(server.requests).toHaveLength(0);
  });

  it('closes promptly even with a response still pending', async () => {
    server.respond({ delayMs: 60_000 });
    const pending = post(server.url, '{}').catch((e: unknown) => e);
    await server.waitForRequests(1);
    await server.close();
    expect(await pending).toBeInstanceOf(Error);
  });
});
