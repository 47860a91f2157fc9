/**
 * notifier-console: one readable line per notification on the terminal ao runs in.
 * The zero-setup notifier: it needs no account, no network and no desktop.
 */
import { AoError, definePlugin, z, type Notification, type Notifier } from '@ao/core/plugin';

const ConfigSchema = z
  .object({
    /** Where lines go. stderr by default, so `ao ... --json` on stdout stays machine-readable. */
    stream: z.enum(['stderr', 'stdout']).optional(),
  })
  .strict();

export type ConsoleNotifierConfig = z.infer<typeof ConfigSchema>;

/** The part of a writable stream the notifier uses; `process.stderr` and any `Writable` fit. */
export interface LineStream {
  write(chunk: string, callback: (error?: Error | null) => void): boolean;
  isTTY?: boolean;
}

const COLORS: Record<Notification['level'], string> = {
  info: '\x1b[36m', // cyan
  warn: '\x1b[33m', // yellow
  action: '\x1b[1;35m', // bold magenta: a human must act
  error: '\x1b[1;31m', // bold red
};
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

/**
 * Text from agents, PR titles and CI logs ends up in notifications; escape sequences in it could
 * rewrite the user's terminal, and newlines would break the one-line-per-notification promise.
 */
function clean(text: string): string {
  return text
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '') // CSI sequences (colours, cursor moves)
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)?/g, '') // OSC sequences (titles, hyperlinks)
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '')
    .replace(/\s*\n\s*/g, ' ⏎ ')
    .replace(/[ \t]+/g, ' ')
    .trim();
}

/**
 * `[ao] warn shop/shop-3: CI failed — 2 tests failed (https://…)`. The `project/session:` part is
 * left out when the notification has neither, the ` — body` part when the body is empty.
 */
export function formatNotification(notification: Notification, options: { color?: boolean } = {}): string {
  const color = options.color ?? false;
  const subject = [notification.project, notification.sessionId].filter((s): s is string => !!s).map(clean).join('/');
  const level = color ? `${COLORS[notification.level]}${notification.level}${RESET}` : notification.level;
  const tag = color ? `${DIM}[ao]${RESET}` : '[ao]';
  const body = clean(notification.body);
  const url = notification.url ? clean(notification.url) : '';
  let line = `${tag} ${level} ${subject ? `${subject}: ` : ''}${clean(notification.title)}`;
  if (body) line += ` — ${body}`;
  if (url) line += ` (${url})`;
  return line;
}

/**
 * Colour only for a human at a terminal: the stream is a TTY and `NO_COLOR` is not set to a
 * non-empty value (https://no-color.org).
 */
export function shouldColor(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

/**
 * Builds a console notifier writing to `stream`. The manifest's `create` passes `process.stderr`
 * (or stdout); tests and embedders pass their own stream. `color` defaults to `shouldColor`.
 */
export function createConsoleNotifier(options: {
  stream: LineStream;
  env?: Readonly<Record<string, string | undefined>>;
  color?: boolean;
}): Notifier {
  const { stream } = options;
  const color = options.color ?? shouldColor(stream, options.env ?? {});
  return {
    notify(notification) {
      const line = `${formatNotification(notification, { color })}\n`;
      return new Promise<void>((resolve, reject) => {
        try {
          stream.write(line, (error) => {
            if (!error) return resolve();
            reject(
              new AoError('NOTIFY_FAILED', `Could not write a notification to the console: ${error.message}.`, {
                cause: error,
              }),
            );
          });
        } catch (error) {
          reject(
            new AoError('NOTIFY_FAILED', `Could not write a notification to the console: ${String(error)}.`, { cause: error }),
          );
        }
      });
    },
  };
}

export default definePlugin({
  name: 'console',
  slot: 'notifier',
  version: '0.1.0',
  description: 'Prints one line per notification to stderr (or stdout)',
  configSchema: ConfigSchema,
  create(config, ctx) {
    const stream = config.stream === 'stdout' ? process.stdout : process.stderr;
    return createConsoleNotifier({ stream, env: ctx.env });
  },
});
