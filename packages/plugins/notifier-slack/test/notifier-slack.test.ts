import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolvePaths, silentLogger, systemClock, type Clock, type Notification, type PluginContext } from '@ao/core/plugin';
import { startHttpRecorder, type HttpRecorder } from '@ao/testkit/http-recorder';
import { notifierConformance } from '@ao/testkit/notifier-conformance';
import plugin, { buildSlackPayload, escapeMrkdwn, type SlackNotifierConfig } from '../src/index.js';

/** Real time for `now`; backoff sleeps are recorded and skipped so retry tests run instantly. */
function fastClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return { now: () => systemClock.now(), sleep: async (ms) => void sleeps.push(ms), sleeps };
}

async function slack(config: Partial<SlackNotifierConfig> & { webhookUrl: string }, clock: Clock = fastClock()) {
  const env = { PATH: process.env.PATH };
  const ctx: PluginContext = {
    logger: silentLogger,
    clock,
    env,
    exec: () => Promise.reject(new Error('not used')),
    paths: resolvePaths(env),
    configDir: process.cwd(),
  };
  return plugin.create(plugin.configSchema.parse(config), ctx);
}

type Block = { type: string; text?: { type: string; text: string }; elements?: Array<{ type: string; text: string }> };

notifierConformance('slack', async () => {
  const server = await startHttpRecorder();
  return {
    notifier: await slack({ webhookUrl: `${server.url}/services/T000/B000/XXXX` }),
    received: async () => server.requests.map((r) => r.json),
    cleanup: () => server.close(),
  };
});

describe('slack notifier', () => {
  let server: HttpRecorder;
  beforeEach(async () => {
    server = await startHttpRecorder();
  });
  afterEach(async () => {
    await server.close();
  });

  it('posts a Block Kit message: header with level emoji, body section, link, context', async () => {
    const notifier = await slack({ webhookUrl: `${server.url}/services/T/B/X`, channel: '#ao', username: 'ao-bot' });
    await notifier.notify({
      event: 'needs-input',
      title: 'Agent needs input',
      body: 'Which database?',
      level: 'action',
      project: 'shop',
      sessionId: 'shop-1',
      url: 'http://127.0.0.1:3939/s/shop-1?tab=term&x=1',
    });
    const request = server.requests[0]!;
    expect(request.path).toBe('/services/T/B/X');
    expect(request.headers['content-type']).toBe('application/json');
    const payload = request.json as { text: string; blocks: Block[]; channel: string; username: string };
    expect(payload.channel).toBe('#ao');
    expect(payload.username).toBe('ao-bot');
    expect(payload.text).toBe(':raising_hand: shop/shop-1: Agent needs input — Which database?');
    expect(payload.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(payload.blocks[0]!.text).toEqual({ type: 'plain_text', text: ':raising_hand: Agent needs input', emoji: true });
    expect(payload.blocks[1]!.text).toEqual({ type: 'mrkdwn', text: 'Which database?' });
    expect(payload.blocks[2]!.text!.text).toBe('<http://127.0.0.1:3939/s/shop-1?tab=term&amp;x=1|Open in ao>');
    expect(payload.blocks[3]!.elements![0]!.text).toBe('*action* · needs-input · shop/shop-1');
  });

  it('uses a level emoji per level and leaves out empty parts', () => {
    const minimal = { event: 'merged', title: 'Merged', body: '', level: 'info' } as const;
    const payload = buildSlackPayload(minimal);
    expect(payload.blocks.map((b) => b.type)).toEqual(['header', 'context']);
    expect(payload.text).toBe(':information_source: Merged');
    expect(payload).not.toHaveProperty('channel');
    expect(buildSlackPayload({ ...minimal, level: 'warn' }).text).toMatch(/^:warning: /);
    expect(buildSlackPayload({ ...minimal, level: 'error' }).text).toMatch(/^:rotating_light: /);
  });

  it('escapes &, < and > in agent text so it cannot mention, ping or link', () => {
    expect(escapeMrkdwn('a & b <!channel> <@U1> <http://evil|click> >')).toBe(
      'a &amp; b &lt;!channel&gt; &lt;@U1&gt; &lt;http://evil|click&gt; &gt;',
    );
    const notification: Notification = {
      event: 'ci-failed',
      title: 'Fix <!here> & \x1b[31mred\x1b[0m',
      body: 'ping <!channel>\nthen <https://evil.example|login> & done\x07',
      level: 'error',
      url: 'https://x.example/a|b>c',
    };
    const payload = buildSlackPayload(notification);
    const json = JSON.stringify(payload);
    // Everything Slack parses as mrkdwn (all but the plain_text header) carries no live markup.
    const parsed = JSON.stringify({ ...payload, blocks: payload.blocks.slice(1) });
    expect(parsed).not.toContain('<!channel>');
    expect(parsed).not.toContain('<!here>');
    expect(parsed).not.toContain('<https://evil');
    expect(json).not.toContain('\\u001b');
    expect(json).not.toContain('\\u0007');
    const section = payload.blocks[1] as Block;
    expect(section.text!.text).toBe('ping &lt;!channel&gt;\nthen &lt;https://evil.example|login&gt; &amp; done');
    expect((payload.blocks[2] as Block).text!.text).toBe('<https://x.example/a%7Cb&gt;c|Open in ao>');
    // The header is plain_text: Slack never parses it, so it is shown as typed, minus escape codes.
    expect((payload.blocks[0] as Block).text!.text).toBe(':rotating_light: Fix <!here> & red');
    expect(payload.text).toContain('Fix &lt;!here&gt; &amp; red');
  });

  it('keeps blocks within Slack limits for long text', () => {
    const payload = buildSlackPayload({ event: 'x', title: 'T'.repeat(400), body: '&'.repeat(5000), level: 'info' });
    const header = (payload.blocks[0] as Block).text!.text;
    const section = (payload.blocks[1] as Block).text!.text;
    expect(header.length).toBeLessThanOrEqual(150);
    expect(section.length).toBeLessThanOrEqual(3000);
    expect(section).toMatch(/^(&amp;)+…$/); // cut between entities, never inside one
    expect(payload.text.length).toBeLessThanOrEqual(3000);
  });

  it('retries Slack rate limiting (429 + Retry-After) through the shared delivery code', async () => {
    const clock = fastClock();
    server.respond({ status: 429, headers: { 'retry-after': '2' }, body: 'rate_limited' });
    await (await slack({ webhookUrl: `${server.url}/services/T/B/X` }, clock)).notify({ event: 'e', title: 't', body: 'b', level: 'info' });
    expect(server.requests).toHaveLength(2);
    expect(clock.sleeps).toEqual([2000]);
  });

  it("fails with NOTIFY_FAILED and Slack's reason, without the webhook URL's secret path", async () => {
    server.setDefault({ status: 404, body: 'no_service' });
    const notifier = await slack({ webhookUrl: `${server.url}/services/T0SECRET/B0SECRET/XXSECRET` });
    const error = await notifier.notify({ event: 'e', title: 't', body: 'b', level: 'info' }).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(error?.code).toBe('NOTIFY_FAILED');
    expect(error?.message).toContain('HTTP 404 (no_service)');
    expect(error?.message).toContain(new URL(server.url).host);
    expect(error?.message).not.toContain('SECRET');
    expect(server.requests).toHaveLength(1);
  });

  it('validates its config', () => {
    expect(plugin.configSchema.safeParse({ webhookUrl: 'https://hooks.slack.com/services/T/B/X' }).success).toBe(true);
    expect(plugin.configSchema.safeParse({ webhookUrl: 'hooks.slack.com/services/T/B/X' }).success).toBe(false);
    expect(plugin.configSchema.safeParse({ webhookUrl: 'https://hooks.slack.com/x', url: 'y' }).success).toBe(false);
  });
});
