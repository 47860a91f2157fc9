/**
 * `POST /webhooks/github`: GitHub's webhook deliveries. This route is the one exemption from the
 * daemon's token, Host and Origin checks (see `SignedRoute` in server.ts): GitHub cannot send the
 * daemon's token, and reaches it under a tunnel's or proxy's host name. It authenticates every
 * delivery instead by its HMAC SHA-256 signature (`X-Hub-Signature-256`) with the secret in
 * `AO_GITHUB_WEBHOOK_SECRET`, refuses replays, and refuses anything a browser sends (an `Origin`).
 * Without the secret the route does not exist (404). See docs/webhooks.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError, sendJson, type Logger } from '@ao/core';
import type { SignedRoute } from './server.js';

export const GITHUB_WEBHOOK_PATH = '/webhooks/github';
export const WEBHOOK_SECRET_ENV = 'AO_GITHUB_WEBHOOK_SECRET';
/** GitHub caps payloads at 25 MB; what ao reads of one is far smaller. */
const MAX_WEBHOOK_BYTES = 5 * 1024 * 1024;
/** Deliveries (ids and body digests) remembered to refuse replays. */
const REPLAY_WINDOW_MS = 24 * 60 * 60_000;
const REPLAY_MAX = 20_000;

class TooLarge extends Error {}

function readRaw(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.destroy();
        reject(new TooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function createGitHubWebhookRoute(deps: {
  secret: string | undefined;
  /** Asks the lifecycle for a poll now. */
  trigger(reason: string): void;
  logger: Logger;
  now?: () => number;
}): Promise<SignedRoute> {
  const { createDeliveryLog, noteGitHubWebhook, verifyWebhookSignature, webhookChange, WEBHOOK_EVENTS } = await import('@ao/github');
  const deliveries = createDeliveryLog({ windowMs: REPLAY_WINDOW_MS, max: REPLAY_MAX });
  const now = deps.now ?? Date.now;
  const secret = deps.secret?.trim() || undefined;
  const stats = { accepted: 0, refused: 0, lastEvent: undefined as string | undefined, lastAt: undefined as string | undefined };
  const refuse = (res: ServerResponse, status: number, code: string, message: string, why: Record<string, unknown> = {}): void => {
    stats.refused++;
    deps.logger.warn({ route: GITHUB_WEBHOOK_PATH, status, code, ...why }, 'GitHub webhook refused');
    sendError(res, status, code, message);
  };

  return {
    method: 'POST',
    path: GITHUB_WEBHOOK_PATH,
    status: () => ({ enabled: secret !== undefined, ...stats }),
    async handle(req, res) {
      if (!secret) {
        sendError(res, 404, 'NOT_FOUND', `GitHub webhooks are off: set ${WEBHOOK_SECRET_ENV} to the webhook's secret and restart the daemon (see docs/webhooks.md)`);
        return;
      }
      // GitHub never sends an Origin; every browser does on a cross-site POST.
      if (req.headers.origin !== undefined) return refuse(res, 403, 'ORIGIN_NOT_ALLOWED', 'Webhook deliveries come from GitHub, not from a browser', { origin: req.headers.origin });
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/json') return refuse(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Set the webhook\'s "Content type" to application/json on GitHub');
      let body: Buffer;
      try {
        body = await readRaw(req, MAX_WEBHOOK_BYTES);
      } catch (error) {
        if (error instanceof TooLarge) return refuse(res, 413, 'PAYLOAD_TOO_LARGE', `Webhook payloads over ${MAX_WEBHOOK_BYTES} bytes are refused`);
        throw error;
      }
      const signature = req.headers['x-hub-signature-256'];
      if (!verifyWebhookSignature(secret, body, Array.isArray(signature) ? signature[0] : signature)) {
        return refuse(res, 401, 'WEBHOOK_SIGNATURE', `Missing or wrong X-Hub-Signature-256: the webhook's secret on GitHub must equal ${WEBHOOK_SECRET_ENV}`);
      }
      const delivery = typeof req.headers['x-github-delivery'] === 'string' ? req.headers['x-github-delivery'] : undefined;
      if (!deliveries.accept(delivery, body, now())) {
        return refuse(res, 409, 'WEBHOOK_REPLAY', 'This delivery was already received (same X-GitHub-Delivery or the same signed body): refused as a replay', { delivery });
      }
      let payload: unknown;
      try {
        payload = JSON.parse(body.toString('utf8'));
      } catch {
        return refuse(res, 400, 'USAGE', 'The webhook body is not JSON');
      }
      const event = String(req.headers['x-github-event'] ?? '');
      stats.accepted++;
      stats.lastEvent = event;
      stats.lastAt = new Date(now()).toISOString();
      if (event === 'ping') {
        sendJson(res, 200, { ok: true, event });
        return;
      }
      const change = webhookChange(event, payload);
      if (change) noteGitHubWebhook(change);
      const relevant = (WEBHOOK_EVENTS as readonly string[]).includes(event);
      if (relevant) deps.trigger(`github webhook ${event}${change?.numbers?.length ? ` #${change.numbers.join(',')}` : ''}`);
      deps.logger.info({ event, delivery, repo: change?.repo, prs: change?.numbers, relevant }, 'GitHub webhook');
      sendJson(res, 202, { ok: true, event, polled: relevant });
    },
  };
}
