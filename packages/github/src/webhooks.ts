/**
 * GitHub webhooks, the parts that do not depend on an HTTP server: the signature check
 * (`X-Hub-Signature-256`, HMAC SHA-256 of the raw body with the shared secret, compared in
 * constant time), a replay window, and what an event says changed. The daemon's receiver
 * (`POST /webhooks/github`) is built on these.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookChange } from './pr-poller.js';

/** The events ao subscribes to; anything else is acknowledged and ignored. */
export const WEBHOOK_EVENTS = ['pull_request', 'pull_request_review', 'pull_request_review_comment', 'pull_request_review_thread', 'check_run', 'check_suite', 'status', 'issues'] as const;

/** `sha256=<hex>` of the body, as GitHub signs it. */
export function signWebhookBody(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether `header` (X-Hub-Signature-256) is the body's signature with `secret`. Constant-time; false for anything malformed. */
export function verifyWebhookSignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!secret || typeof header !== 'string' || !/^sha256=[0-9a-f]{64}$/i.test(header.trim())) return false;
  const expected = Buffer.from(signWebhookBody(secret, body), 'utf8');
  const given = Buffer.from(header.trim().toLowerCase(), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Deliveries seen lately, by `X-GitHub-Delivery` id and by body digest: the signature covers the
 * body only, so a captured request resent under a fresh delivery id is caught by its digest.
 * Bounded in time (`windowMs`) and in size (oldest dropped first).
 */
export interface DeliveryLog {
  /** Records the delivery; false when its id or its exact body was already seen inside the window. */
  accept(deliveryId: string | undefined, body: Buffer, now: number): boolean;
}

export function createDeliveryLog(options: { windowMs: number; max: number }): DeliveryLog {
  const seen = new Map<string, number>();
  const prune = (now: number): void => {
    for (const [key, at] of seen) {
      if (now - at < options.windowMs && seen.size <= options.max) break;
      seen.delete(key);
    }
  };
  return {
    accept(deliveryId, body, now) {
      prune(now);
      const keys = [`body:${createHash('sha256').update(body).digest('hex')}`, ...(deliveryId ? [`id:${deliveryId}`] : [])];
      if (keys.some((k) => seen.has(k))) return false;
      for (const key of keys) seen.set(key, now);
      return true;
    },
  };
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);

/**
 * What an event says changed: the repository, the PRs it names, or the head sha (status and
 * check events name a commit; check events also list their PRs). Undefined for events that
 * concern no PR state ao polls (`issues` still wakes the lifecycle: see the receiver).
 */
export function webhookChange(event: string, payload: unknown): WebhookChange | undefined {
  const body = obj(payload);
  const repo = obj(body?.repository)?.full_name;
  if (typeof repo !== 'string') return undefined;
  const prNumbers = (list: unknown): number[] => (Array.isArray(list) ? list.map((p) => num(obj(p)?.number)).filter((n): n is number => n !== undefined) : []);
  switch (event) {
    case 'pull_request':
    case 'pull_request_review':
    case 'pull_request_review_comment':
    case 'pull_request_review_thread': {
      const n = num(obj(body?.pull_request)?.number) ?? num(body?.number);
      return n === undefined ? { repo } : { repo, numbers: [n] };
    }
    case 'check_run':
    case 'check_suite': {
      const subject = obj(body?.[event]);
      const sha = subject?.head_sha;
      return { repo, numbers: prNumbers(subject?.pull_requests), ...(typeof sha === 'string' ? { sha } : {}) };
    }
    case 'status':
      return typeof body?.sha === 'string' ? { repo, sha: body.sha } : { repo };
    default:
      return undefined;
  }
}
