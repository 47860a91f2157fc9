/**
 * notifier-desktop: a desktop notification through `notify-send` (libnotify), for a developer
 * running ao on their own machine. On a machine without `notify-send` (a server, a container) it
 * says so once and then stays quiet: a missing desktop must never break reactions or fill the log.
 */
import { AoError, definePlugin, describeError, isAoError, whichSync, z, type Notification, type PluginContext } from '@ao/core/plugin';

const ConfigSchema = z
  .object({
    /** Shown by the notification daemon as the sender. */
    appName: z.string().min(1).optional(),
    /**
     * Only where a desktop can show it: without notify-send or a graphical session (DISPLAY,
     * WAYLAND_DISPLAY or a D-Bus session bus) it stays silent instead of warning or failing. The
     * default notifiers use it, so a laptop gets desktop notifications and a server gets no noise.
     */
    whenAvailable: z.boolean().default(false),
  })
  .strict();

export type DesktopNotifierConfig = z.infer<typeof ConfigSchema>;

const URGENCY: Record<Notification['level'], 'low' | 'normal' | 'critical'> = {
  info: 'normal',
  warn: 'normal',
  // Critical notifications stay on screen until dismissed: right for "a human must act".
  action: 'critical',
  error: 'critical',
};

/** notify-send can hang when the notification daemon is wedged; a reaction must not. */
const TIMEOUT_MS = 10_000;

// Once per process, not per instance: ao may create the notifier for several projects.
let warnedMissing = false;

/** Terminal escapes and control characters; newlines and tabs are kept (bodies may be multi-line). */
function stripControls(text: string): string {
  return text
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)?/g, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

/**
 * Notification daemons render a subset of HTML in the body (`<b>`, `<a href>`, `<img>`); text from
 * agents must show as typed, not as markup.
 */
function escapeMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The argv after `notify-send`. `--` ends the options, so a title starting with `-` stays text. */
export function notifySendArgs(notification: Notification, appName = 'ao'): string[] {
  const where = [notification.project, notification.sessionId].filter((s): s is string => !!s).join('/');
  const title = stripControls(notification.title).replace(/\s+/g, ' ').trim() || notification.event;
  const lines = [stripControls(notification.body).trim()];
  if (notification.url) lines.push(stripControls(notification.url));
  const body = escapeMarkup(lines.filter(Boolean).join('\n'));
  return [
    `--app-name=${appName}`,
    `--urgency=${URGENCY[notification.level]}`,
    `--category=${notification.level === 'error' ? 'im.error' : 'im'}`,
    '--',
    where ? `${stripControls(where)}: ${title}` : title,
    body,
  ];
}

/** Whether this process can reach a desktop's notification daemon. */
export function hasDesktopSession(env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY || env.DBUS_SESSION_BUS_ADDRESS);
}

export default definePlugin({
  name: 'desktop',
  slot: 'notifier',
  version: '0.1.0',
  description: 'Shows desktop notifications with notify-send (libnotify)',
  configSchema: ConfigSchema,
  create(config, ctx: PluginContext) {
    const logger = ctx.logger.child({ plugin: 'notifier-desktop' });
    const warnMissing = (): void => {
      if (warnedMissing) return;
      warnedMissing = true;
      logger.warn(
        { tool: 'notify-send' },
        'notify-send not found on PATH: desktop notifications are off. Install libnotify (apt install libnotify-bin) or use another notifier.',
      );
    };
    return {
      async notify(notification) {
        // Looked up on every call (a cheap stat), so installing libnotify takes effect without a restart.
        const notifySend = whichSync('notify-send', ctx.env);
        if (config.whenAvailable && (!notifySend || !hasDesktopSession(ctx.env))) return;
        if (!notifySend) return warnMissing();
        try {
          await ctx.exec(notifySend, notifySendArgs(notification, config.appName), {
            env: { ...ctx.env },
            timeoutMs: TIMEOUT_MS,
          });
        } catch (error) {
          // Removed between the lookup and the call: same as never installed.
          if (isAoError(error) && error.code === 'TOOL_MISSING') return warnMissing();
          throw new AoError(
            'NOTIFY_FAILED',
            `notify-send could not show the notification: ${describeError(error)}. Check that a desktop session (D-Bus notification daemon) is running, or use another notifier.`,
            { cause: error },
          );
        }
      },
    };
  },
});
