import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpUrlSchema, parseRetryAfter, postJson, safeHost, systemClock } from '../src/index.js';

describe('http helpers', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  /** A real server that answers every request with `status` and `headers`, counting requests. */
  async function answering(status: number, headers: Record<string, string> = {}): Promise<{ url: string; count: () => number }> {
    let count = 0;
    server = createServer((req, res) => {
      count++;
      req.resume();
      req.on('end', () => {
        res.writeHead(status, headers);
        res.end();
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/secret-path?token=abc`, count: () => count };
  }

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('12', now)).toBe(12_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0); // in the past: now
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('shows only the host of a URL', () => {
    expect(safeHost('https://hooks.slack.com/services/T/B/SECRET?x=1')).toBe('hooks.slack.com');
    expect(safeHost('http://user:pw@127.0.0.1:8080/p')).toBe('127.0.0.1:8080');
    expect(safeHost('nonsense')).toBe('(invalid URL)');
  });

  it('accepts only absolute http(s) URLs', () => {
    expect(HttpUrlSchema.safeParse('https://example.com/x').success).toBe(true);
    expect(HttpUrlSchema.safeParse('http://127.0.0.1:3000').success).toBe(true);
    for (const bad of ['ftp://example.com', 'file:///etc/passwd', 'example.com', '', 'javascript:alert(1)']) {
      expect(HttpUrlSchema.safeParse(bad).success, bad).toBe(false);
    }
  });

  it('does not follow redirects: a signed body must not go somewhere unconfigured', async () => {
    const target = await answering(302, { location: 'http://example.invalid/' });
    const error = await postJson(target.url, { body: '{}', clock: systemClock }).catch((e: Error & { code?: string }) => e);
    expect(error).toMatchObject({ code: 'NOTIFY_FAILED' });
    expect((error as Error).message).toContain('HTTP 302');
    expect((error as Error).message).toContain('redirects are not followed');
    expect((error as Error).message).not.toContain('secret-path');
    expect(target.count()).toBe(1);
  });

  it('fails before sending on a header fetch cannot send, and uses the caller-chosen code', async () => {
    const target = await answering(200);
    const error = await postJson(target.url, {
      body: '{}',
      headers: { 'x-bad': 'line\nbreak' },
      clock: systemClock,
      errorCode: 'SCM_FAILED',
      what: 'Status update',
    }).catch((e: Error & { code?: string }) => e);
    expect(error).toMatchObject({ code: 'SCM_FAILED' });
    expect((error as Error).message).toMatch(/^Status update to 127\.0\.0\.1:\d+ failed before sending: invalid request header/);
    expect(target.count()).toBe(0);
  });

  it('resolves with the status, body and attempt count', async () => {
    const target = await answering(204);
    expect(await postJson(target.url, { body: '{"a":1}', clock: systemClock })).toEqual({ status: 204, body: '', attempts: 1 });
  });
});
