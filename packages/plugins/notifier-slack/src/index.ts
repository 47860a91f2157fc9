/**
 * notifier-slack: posts notifications to a Slack incoming webhook
 * (https://api.slack.com/messaging/webhooks) as Block Kit messages. Delivery, retries (including
 * Slack's 429 + Retry-After rate limiting) and the rule that the webhook URL — which is the
 * credential — never appears in logs or errors come from `postJson` in @ao/core/plugin.
 */
import { definePlugin, HttpUrlSchema, postJson, z, type Notification } from '@ao/core/plugin';

const ConfigSchema = z
  .object({
    /** The incoming-webhook URL Slack gave you (`https://hooks.slack.com/services/…`). A secret. */
    webhookUrl: HttpUrlSchema,
    /** Overrides the webhook's channel, where the workspace still allows it (legacy webhooks). */
    channel: z.string().min(1).optional(),
    /** Overrides the bot's display name, where allowed. */
    username: z.string().min(1).optional(),
    /** Attempts after the first one on network errors, timeouts, 429 and 5xx. */
    retries: z.number().int().min(0).max(10).default(3),
    /** Per-attempt deadline in milliseconds. */
    timeoutMs: z.number().int().positive().default(5000),
    /** First backoff in milliseconds; doubles on each retry. */
    backoffMs: z.number().int().min(0).default(500),
  })
  .strict();

export type SlackNotifierConfig = z.infer<typeof ConfigSchema>;

const EMOJI: Record<Notification['level'], string> = {
  info: ':information_source:',
  warn: ':warning:',
  action: ':raising_hand:',
  error: ':rotating_light:',
};

// Block Kit limits (https://api.slack.com/reference/block-kit/blocks).
const HEADER_MAX = 150;
const SECTION_MAX = 3000;

/**
 * Terminal escape sequences and control characters mean nothing in Slack and some break its JSON
 * parser's idea of text; newlines and tabs are kept.
 */
function stripControls(text: string): string {
  return text
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)?/g, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

/**
 * Escapes the three characters Slack's mrkdwn treats as control characters, so text from agents
 * can't ping `<!channel>`, mention users or forge links.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts at `max` characters without leaving half an `&amp;` entity behind. */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1).replace(/&[a-z]*$/, '')}…`;
}

/** A link target inside `<url|label>`: `|` and `>` would end it early. */
function linkTarget(url: string): string {
  return escapeMrkdwn(stripControls(url)).replace(/\|/g, '%7C').replace(/\s/g, '%20');
}

export interface SlackPayload {
  /** Fallback for notifications and clients that don't render blocks. */
  text: string;
  blocks: Array<Record<string, unknown>>;
  channel?: string;
  username?: string;
}

export function buildSlackPayload(
  notification: Notification,
  options: { channel?: string; username?: string } = {},
): SlackPayload {
  const emoji = EMOJI[notification.level];
  const title = stripControls(notification.title).replace(/\s+/g, ' ').trim() || notification.event;
  const body = escapeMrkdwn(stripControls(notification.body).trim());
  const where = [notification.project, notification.sessionId].filter((s): s is string => !!s).map(stripControls).join('/');

  const blocks: Array<Record<string, unknown>> = [
    // plain_text is never parsed as mrkdwn, so the title needs no escaping here.
    { type: 'header', text: { type: 'plain_text', text: truncate(`${emoji} ${title}`, HEADER_MAX), emoji: true } },
  ];
  if (body) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(body, SECTION_MAX) } });
  if (notification.url) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `<${linkTarget(notification.url)}|Open in ao>` } });
  }
  const context = [`*${notification.level}*`, escapeMrkdwn(stripControls(notification.event))];
  if (where) context.push(escapeMrkdwn(where));
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(context.join(' · '), SECTION_MAX) }] });

  const fallbackParts = [`${emoji} ${escapeMrkdwn(title)}`];
  if (where) fallbackParts[0] = `${emoji} ${escapeMrkdwn(where)}: ${escapeMrkdwn(title)}`;
  if (body) fallbackParts.push(body.replace(/\s+/g, ' '));
  return {
    text: truncate(fallbackParts.join(' — '), SECTION_MAX),
    blocks,
    ...(options.channel ? { channel: options.channel } : {}),
    ...(options.username ? { username: options.username } : {}),
  };
}

export default definePlugin({
  name: 'slack',
  slot: 'notifier',
  version: '0.1.0',
  description: 'Posts notifications to a Slack incoming webhook',
  configSchema: ConfigSchema,
  create(config, ctx) {
    const logger = ctx.logger.child({ plugin: 'notifier-slack' });
    return {
      async notify(notification) {
        const payload = buildSlackPayload(notification, { channel: config.channel, username: config.username });
        await postJson(config.webhookUrl, {
          body: JSON.stringify(payload),
          headers: { 'user-agent': 'ao-notifier-slack/0.1.0' },
          retries: config.retries,
          timeoutMs: config.timeoutMs,
          backoffMs: config.backoffMs,
          clock: ctx.clock,
          logger,
          errorCode: 'NOTIFY_FAILED',
          what: 'Slack notification',
        });
      },
    };
  },
});
