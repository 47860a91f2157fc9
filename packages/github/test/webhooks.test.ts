import { describe, expect, it } from 'vitest';
import { createDeliveryLog, signWebhookBody, verifyWebhookSignature, webhookChange } from '../src/index.js';

describe('webhook signatures', () => {
  const body = Buffer.from('{"action":"opened"}');
  it('accepts GitHub\'s sha256= HMAC of the raw body with the secret, and nothing else', () => {
    // GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!".
    expect(signWebhookBody("It's a Secret to Everybody", 'Hello, World!')).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
    const good = signWebhookBody('s3cret', body);
    expect(verifyWebhookSignature('s3cret', body, good)).toBe(true);
    expect(verifyWebhookSignature('s3cret', body, good.toUpperCase().replace('SHA256', 'sha256'))).toBe(true);
    expect(verifyWebhookSignature('other', body, good)).toBe(false);
    expect(verifyWebhookSignature('s3cret', Buffer.from('{"action":"closed"}'), good)).toBe(false);
    expect(verifyWebhookSignature('s3cret', body, undefined)).toBe(false);
    expect(verifyWebhookSignature('s3cret', body, good.slice(0, -1))).toBe(false);
    expect(verifyWebhookSignature('s3cret', body, `sha1=${'0'.repeat(40)}`)).toBe(false);
    expect(verifyWebhookSignature('', body, signWebhookBody('', body))).toBe(false);
  });

  it('refuses a delivery id or a body seen inside the window, forgets them after it', () => {
    const log = createDeliveryLog({ windowMs: 1000, max: 100 });
    expect(log.accept('d1', body, 0)).toBe(true);
    expect(log.accept('d1', Buffer.from('{}'), 10)).toBe(false);
    expect(log.accept('d2', body, 20)).toBe(false);
    expect(log.accept('d3', Buffer.from('{"other":1}'), 30)).toBe(true);
    expect(log.accept('d1', body, 2000)).toBe(true);
  });

  it('stays bounded: the oldest deliveries are dropped first', () => {
    const log = createDeliveryLog({ windowMs: 60_000, max: 10 });
    for (let i = 0; i < 50; i++) expect(log.accept(`d${i}`, Buffer.from(String(i)), i)).toBe(true);
    expect(log.accept('d49', Buffer.from('x'), 51)).toBe(false);
    expect(log.accept('d0', Buffer.from('0'), 52)).toBe(true);
  });
});

describe('what an event says changed', () => {
  const repository = { full_name: 'acme/app' };
  it('names the PR of pull_request and review events, the PRs and head of check events, the sha of a status', () => {
    expect(webhookChange('pull_request', { action: 'synchronize', number: 7, pull_request: { number: 7 }, repository })).toEqual({ repo: 'acme/app', numbers: [7] });
    expect(webhookChange('pull_request_review', { pull_request: { number: 8 }, repository })).toEqual({ repo: 'acme/app', numbers: [8] });
    expect(webhookChange('check_run', { check_run: { head_sha: 'abc', pull_requests: [{ number: 3 }, { number: 4 }] }, repository })).toEqual({ repo: 'acme/app', numbers: [3, 4], sha: 'abc' });
    expect(webhookChange('check_suite', { check_suite: { head_sha: 'def', pull_requests: [] }, repository })).toEqual({ repo: 'acme/app', numbers: [], sha: 'def' });
    expect(webhookChange('status', { sha: 'f00', state: 'failure', repository })).toEqual({ repo: 'acme/app', sha: 'f00' });
    expect(webhookChange('issues', { issue: { number: 1 }, repository })).toBeUndefined();
    expect(webhookChange('pull_request', { number: 1 })).toBeUndefined();
  });
});
