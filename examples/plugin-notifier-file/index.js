// An example external ao plugin: a notifier that appends each notification as one JSON line to a
// file. It has no dependencies, so it loads from any directory (no node_modules needed): the
// config schema is a small hand-written object with `safeParse` instead of a zod schema.
// See docs/plugins.md for the full guide and packages/core/src/contracts/notifier.ts for the contract.
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';

const KEYS = ['path'];

/**
 * Validates `{ path: string }`. ao only needs `safeParse(input)` returning
 * `{ success: true, data }` or `{ success: false, error: { issues } }`; issues are zod-shaped
 * (`{ path, message, code }`) so ao's error messages can point at the file, line and key.
 */
const configSchema = {
  safeParse(input) {
    const issues = [];
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      issues.push({ path: [], message: 'expected a mapping like { plugin: file, path: notifications.jsonl }', code: 'custom' });
    } else {
      if (typeof input.path !== 'string' || input.path.trim() === '') {
        issues.push({ path: ['path'], message: 'expected `path`: the file to append notifications to (relative to the config file)', code: 'custom' });
      }
      for (const key of Object.keys(input)) {
        if (!KEYS.includes(key)) issues.push({ path: [key], message: `unknown key "${key}" (expected one of: ${KEYS.join(', ')})`, code: 'custom' });
      }
    }
    return issues.length ? { success: false, error: { issues } } : { success: true, data: { path: input.path } };
  },
};

/**
 * An error ao treats as its own `AoError` (any Error named "AoError" with a string `code`), so a
 * plugin without @ao/core as a dependency still reports failures with a stable code.
 */
function notifyFailed(message, cause, file) {
  const error = new Error(message, { cause });
  error.name = 'AoError';
  error.code = 'NOTIFY_FAILED';
  error.details = { file };
  error.exitCode = 1;
  return error;
}

export default {
  name: 'file',
  slot: 'notifier',
  version: '0.1.0',
  description: 'Appends each notification as a JSON line to a file',
  configSchema,
  create(config, ctx) {
    // Relative paths mean "next to agent-orchestrator.yaml", wherever ao was started from.
    const file = isAbsolute(config.path) ? config.path : resolve(ctx.configDir, config.path);
    return {
      /** One line per notification; a single append is atomic enough for small lines on local disks. */
      async notify(notification) {
        const line = `${JSON.stringify({ ts: new Date(ctx.clock.now()).toISOString(), ...notification })}\n`;
        try {
          await mkdir(dirname(file), { recursive: true });
          await appendFile(file, line, 'utf8');
        } catch (cause) {
          // ao logs the rejection and carries on with the other notifiers.
          throw notifyFailed(`file notifier: cannot append to ${file}: ${cause.message}`, cause, file);
        }
        ctx.logger.debug({ file, event: notification.event }, 'notification appended');
      },
    };
  },
};
