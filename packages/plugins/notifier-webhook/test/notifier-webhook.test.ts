import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAoError, resolvePaths, systemClock, type Clock, type Logger, type Notification, type PluginContext } from '@ao/core/plugin';
import { startHttpRecorder, type HttpRecorder } from '@ao/testkit/http-recorder';
import { notifierConformance } from '@ao/testkit/notifier-conformance';
import plugin, { verifyWebhookSignature, type WebhookNotifierConfig } from '../src/index.js';

/** Logger that keeps every call, to check what is (and is never) logged. */
function recordingLogger(): Logger & { lines: Array<{ level: string; obj: unknown; msg?: string }> } {
  const lines: Array<{ level: string; obj: unknown; msg?: string }> = [];
  const make = (): Logger => ({
    debug: (obj, msg) => void lines.push({ level: 'debug', obj, msg }),
    info: (obj, msg) => void lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => void lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => void lines.push({ level: 'error', obj, msg }),
    child: () => make(),
  });
  return Object.assign(make(), { lines });
}

/** Real time for `now`; backoff sleeps are recorded and skipped so retry tests run instantly. */
function fastClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return { now: () => systemClock.now(), sleep: async (ms) => void sleeps.push(ms), sleeps };
}

function context(logger: Logger, clock: Clock): PluginContext {
  const env = { PATH: process.env.PATH };
  return { logger, clock, env, exec: () => Promise.reject(new Error('not used')), paths: resolvePaths(env), configDir: process.cwd() };
}

async function webhook(config: Partial<WebhookNotifierConfig> & { url: string }, logger: Logger = recordingLogger(), clock: Clock = fastClock()) {
  return plugin.create(plugin.configSchema.parse(config), context(logger, clock));
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

const ciFailed: Notification = {
  event: 'ci-failed',
  title: 'CI failed',
  body: '2 tests failed',
  level: 'warn',
  project: 'shop',
  sessionId: 'shop-3',
  url: 'http://127.0.0.1:3939/s/shop-3',
};

notifierConformance('webhook', async () => {
  const server = await startHttpRecorder();
  return {
    notifier: await webhook({ url: `${server.url}/hook`, secret: 's3cret' }),
    received: async () => server.requests.map((r) => r.json),
    cleanup: () => server.close(),
  };
});

describe('webhook notifier', () => {
  let server: HttpRecorder;
  beforeEach(async () => {
    server = await startHttpRecorder();
  });
  afterEach(async () => {
    await server.close();
  });

  it('POSTs the notification as JSON with event and delivery headers', async () => {
    const before = Date.now();
    await (await webhook({ url: `${server.url}/hook?x=1`, headers: { Authorization: 'Bearer abc' } })).notify(ciFailed);
    await (await webhook({ url: `${server.url}/hook` })).notify({ event: 'merged', title: 'Merged', body: '', level: 'info' });

    const [first, second] = server.requests;
    expect(first!.method).toBe('POST');
    expect(first!.path).toBe('/hook?x=1');
    expect(first!.headers['content-type']).toBe('application/json');
    expect(first!.headers['authorization']).toBe('Bearer abc');
    expect(first!.headers['x-ao-event']).toBe('ci-failed');
    expect(first!.headers['x-ao-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    expect(first!.headers['x-ao-signature']).toBeUndefined(); // no secret, no signature
    const payload = first!.json as Record<string, unknown>;
    expect(payload).toEqual({
      event: 'ci-failed',
      title: 'CI failed',
      body: '2 tests failed',
      level: 'warn',
      project: 'shop',
      sessionId: 'shop-3',
      url: 'http://127.0.0.1:3939/s/shop-3',
      ts: expect.any(String),
    });
    expect(Date.parse(payload.ts as string)).toBeGreaterThanOrEqual(before - 1000);
    expect(second!.json).toMatchObject({ event: 'merged', project: null, sessionId: null, url: null });
    expect(second!.headers['x-ao-delivery']).not.toBe(first!.headers['x-ao-delivery']);
  });

  it('signs the raw body with HMAC-SHA256 so a receiver can verify it', async () => {
    await (await webhook({ url: server.url, secret: 'topsecret' })).notify(ciFailed);
    const request = server.requests[0]!;
    const header = request.headers['x-ao-signature'] as string;
    const expected = `sha256=${createHmac('sha256', 'topsecret').update(request.body).digest('hex')}`;
    expect(header).toBe(expected);
    expect(verifyWebhookSignature('topsecret', request.body, header)).toBe(true);
    expect(verifyWebhookSignature('wrong', request.body, header)).toBe(false);
    expect(verifyWebhookSignature('topsecret', request.body.replace('CI failed', 'CI passed'), header)).toBe(false);
    expect(verifyWebhookSignature('topsecret', request.body, undefined)).toBe(false);
  });

  it('retries 5xx with exponential backoff, then succeeds, keeping one delivery id', async () => {
    const clock = fastClock();
    const logger = recordingLogger();
    server.failNext(2, { status: 503, body: 'busy' });
    await (await webhook({ url: `${server.url}/hook/TOKEN123?sig=QUERYSECRET`, secret: 'HMACSECRET' }, logger, clock)).notify(ciFailed);

    expect(server.requests).toHaveLength(3);
    expect(clock.sleeps).toEqual([500, 1000]);
    const ids = new Set(server.requests.map((r) => r.headers['x-ao-delivery']));
    expect(ids.size).toBe(1);
    const signatures = new Set(server.requests.map((r) => r.headers['x-ao-signature']));
    expect(signatures.size).toBe(1);
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(2);
    const logged = JSON.stringify(logger.lines);
    for (const secret of ['TOKEN123', 'QUERYSECRET', 'HMACSECRET']) expect(logged).not.toContain(secret);
  });

  it('gives up after the configured retries with NOTIFY_FAILED naming the host, not the URL', async () => {
    const clock = fastClock();
    const logger = recordingLogger();
    server.setDefault({ status: 500, body: 'boom' });
    const notifier = await webhook({ url: `${server.url}/hook/TOKEN123?k=QUERYSECRET`, retries: 2, backoffMs: 100 }, logger, clock);
    const error = await rejection(notifier.notify(ciFailed));

    expect(isAoError(error)).toBe(true);
    expect(error.code).toBe('NOTIFY_FAILED');
    expect(error.message).toContain(new URL(server.url).host);
    expect(error.message).toContain('HTTP 500');
    expect(error.message).toContain('3 attempts');
    expect(error.message).not.toContain('TOKEN123');
    expect(error.message).not.toContain('QUERYSECRET');
    expect(error.details).toMatchObject({ status: 500, attempts: 3 });
    expect(server.requests).toHaveLength(3);
    expect(clock.sleeps).toEqual([100, 200]);
    expect(JSON.stringify(logger.lines)).not.toContain('TOKEN123');
  });

  it('does not retry a 4xx other than 429', async () => {
    const clock = fastClock();
    server.setDefault({ status: 400, body: 'bad payload' });
    const error = await rejection((await webhook({ url: server.url }, recordingLogger(), clock)).notify(ciFailed));
    expect(error.code).toBe('NOTIFY_FAILED');
    expect(error.message).toContain('HTTP 400 (bad payload)');
    expect(server.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('honours Retry-After on 429, capped', async () => {
    const clock = fastClock();
    server.respond(
      { status: 429, headers: { 'retry-after': '7' } },
      { status: 503, headers: { 'retry-after': '86400' } },
      { status: 429, headers: { 'retry-after': new Date(Date.now() + 3_600_000).toUTCString() } },
    );
    await (await webhook({ url: server.url }, recordingLogger(), clock)).notify(ciFailed);
    expect(server.requests).toHaveLength(4);
    expect(clock.sleeps).toEqual([7000, 30_000, 30_000]);
  });

  it('retries dropped connections and timeouts', async () => {
    const clock = fastClock();
    server.respond({ drop: true }, { delayMs: 3000 });
    await (await webhook({ url: server.url, timeoutMs: 200 }, recordingLogger(), clock)).notify(ciFailed);
    expect(server.requests).toHaveLength(3);
    expect(clock.sleeps).toEqual([500, 1000]);
  });

  it('reports an unreachable receiver after its retries', async () => {
    const closed = await startHttpRecorder();
    const url = `${closed.url}/hook`;
    await closed.close(); // nothing listens on this port any more
    const clock = fastClock();
    const error = await rejection((await webhook({ url, retries: 1 }, recordingLogger(), clock)).notify(ciFailed));
    expect(error.code).toBe('NOTIFY_FAILED');
    expect(error.message).toMatch(/after 2 attempts: .*ECONNREFUSED/);
    expect(clock.sleeps).toEqual([500]);
  });

  it('validates its config', () => {
    expect(plugin.configSchema.safeParse({ url: 'https://example.com/hook' }).success).toBe(true);
    expect(plugin.configSchema.safeParse({ url: 'ftp://example.com/hook' }).success).toBe(false);
    expect(plugin.configSchema.safeParse({ url: 'not a url' }).success).toBe(false);
    expect(plugin.configSchema.safeParse({}).success).toBe(false);
    expect(plugin.configSchema.safeParse({ url: 'https://example.com', retries: -1 }).success).toBe(false);
    expect(plugin.configSchema.safeParse({ url: 'https://example.com', extra: 1 }).success).toBe(false);
    expect(plugin.configSchema.parse({ url: 'https://example.com' })).toMatchObject({ retries: 3, timeoutMs: 5000, backoffMs: 500 });
  });
});
