/**
 * notifier-webhook: POSTs each notification as JSON to a URL the user controls (a chat bridge,
 * a home-automation hook, their own service). Retries transient failures; optionally signs the
 * body with HMAC-SHA256 so the receiver can tell ao's requests from anyone else's.
 *
 * Receiver side, verifying a signed delivery (Node):
 *
 *   const expected = 'sha256=' + createHmac('sha256', secret).update(rawBody).digest('hex');
 *   const ok = expected.length === header.length && timingSafeEqual(Buffer.from(expected), Buffer.from(header));
 *
 * where `rawBody` is the request body exactly as received (bytes, before any JSON parsing) and
 * `header` is `X-AO-Signature`. `verifyWebhookSignature` below does exactly that.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { definePlugin, HttpUrlSchema, postJson, z, type Notification, type PluginContext } from '@ao/core/plugin';

const ConfigSchema = z
  .object({
    /** Where notifications are POSTed. May carry a token in its path or query; it is never logged. */
    url: HttpUrlSchema,
    /** Shared secret for the `X-AO-Signature` HMAC header. Without it requests are unsigned. */
    secret: z.string().min(1).optional(),
    /** Extra headers sent with every request (e.g. `Authorization`). Never logged. */
    headers: z.record(z.string()).optional(),
    /** Attempts after the first one on network errors, timeouts, 429 and 5xx. */
    retries: z.number().int().min(0).max(10).default(3),
    /** Per-attempt deadline in milliseconds. */
    timeoutMs: z.number().int().positive().default(5000),
    /** First backoff in milliseconds; doubles on each retry. */
    backoffMs: z.number().int().min(0).default(500),
  })
  .strict();

export type WebhookNotifierConfig = z.infer<typeof ConfigSchema>;

/** The JSON body of every request. Absent optional fields are `null` so the shape never changes. */
export interface WebhookPayload {
  event: string;
  title: string;
  body: string;
  level: Notification['level'];
  project: string | null;
  sessionId: string | null;
  url: string | null;
  /** When ao sent it, ISO 8601; part of the signed body, so receivers can reject stale replays. */
  ts: string;
}

export function buildWebhookPayload(notification: Notification, now: number): WebhookPayload {
  return {
    event: notification.event,
    title: notification.title,
    body: notification.body,
    level: notification.level,
    project: notification.project ?? null,
    sessionId: notification.sessionId ?? null,
    url: notification.url ?? null,
    ts: new Date(now).toISOString(),
  };
}

/** `sha256=<hex HMAC-SHA256 of the raw body>`, the value of `X-AO-Signature`. */
export function signWebhookBody(secret: string, rawBody: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** For receivers (and tests): true when `signature` is the valid `X-AO-Signature` of `rawBody`. Constant-time. */
export function verifyWebhookSignature(secret: string, rawBody: string | Buffer, signature: string | undefined): boolean {
  if (!signature) return false;
  const expected = Buffer.from(signWebhookBody(secret, rawBody));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Header values must be single-line printable ASCII; anything else would make `fetch` throw. */
function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '_').slice(0, 200);
}

export default definePlugin({
  name: 'webhook',
  slot: 'notifier',
  version: '0.1.0',
  description: 'POSTs notifications as JSON to a URL, with retries and an optional HMAC signature',
  configSchema: ConfigSchema,
  create(config, ctx: PluginContext) {
    const logger = ctx.logger.child({ plugin: 'notifier-webhook' });
    return {
      async notify(notification) {
        const rawBody = JSON.stringify(buildWebhookPayload(notification, ctx.clock.now()));
        // One id per notification, reused by every retry, so a receiver can drop duplicates.
        const headers: Record<string, string> = {
          'user-agent': 'ao-notifier-webhook/0.1.0',
          ...config.headers,
          'x-ao-event': headerSafe(notification.event),
          'x-ao-delivery': randomUUID(),
        };
        if (config.secret) headers['x-ao-signature'] = signWebhookBody(config.secret, rawBody);
        await postJson(config.url, {
          body: rawBody,
          headers,
          retries: config.retries,
          timeoutMs: config.timeoutMs,
          backoffMs: config.backoffMs,
          clock: ctx.clock,
          logger,
          errorCode: 'NOTIFY_FAILED',
          what: 'Webhook notification',
        });
      },
    };
  },
});
