import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from './contracts/plugin.js';
import { mkdirPrivateSync, PRIVATE_FILE_MODE } from './sessions/fs-atomic.js';

/**
 * Log fields whose name says they hold a credential. Only string values are replaced: a count
 * such as `inputTokens: 1200` stays. Names that merely *may* hold one (`key`, `id`) are not here:
 * secrets are found by value (`addSecretValues`) wherever they appear, under any name.
 */
const SECRET_FIELD = /(token|secret|password|passwd|authorization|cookie|credential|api[-_]?key|private[-_]?key|access[-_]?key)/i;
const SECRET_VALUE = /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abpr]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9_-]{16,}|Bearer\s+[A-Za-z0-9._~+/=-]{8,})/g;
/** Environment variable names that hold secrets: GITHUB_TOKEN, ANTHROPIC_API_KEY, PGPASSWORD, SLACK_WEBHOOK_URL… */
const SECRET_VAR = /(TOKEN|SECRET|PASSW(?:OR)?D|API_?KEY|CREDENTIAL)|(?:^|_)(?:KEY|AUTH|WEBHOOK|PAT)(?:_|$)/i;
/** Shorter values (`1`, `true`, `dev`) would mask unrelated text everywhere; they are not tracked. */
const MIN_SECRET_LENGTH = 6;

/** True for an environment variable name that holds a secret by convention (`*_TOKEN`, `*_KEY`…). */
export function isSecretVarName(name: string): boolean {
  return SECRET_VAR.test(name);
}

// The secret values this process knows (its environment's, its config's): masked in every log
// line, whatever the field is called. Longest first, so a secret containing another is masked whole.
const secretValues = new Set<string>();
let secretsByLength: string[] = [];

/** Registers values to mask wherever they appear in a log line (config secrets, `${VAR}` values). */
export function addSecretValues(values: Iterable<string | undefined>): void {
  let added = false;
  for (const value of values) {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH || secretValues.has(value)) continue;
    secretValues.add(value);
    added = true;
  }
  if (added) secretsByLength = [...secretValues].sort((a, b) => b.length - a.length);
}

/** The values of the secret-named variables of `env` (see `isSecretVarName`). */
export function secretValuesOfEnv(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => value !== undefined && isSecretVarName(name))
    .map(([, value]) => value as string);
}

function redactString(text: string): string {
  let out = text;
  for (const secret of secretsByLength) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  return out.replace(SECRET_VALUE, '[redacted]');
}

/**
 * Masks secrets, deeply: every registered secret value wherever it appears, token-shaped strings
 * (GitHub, Slack, `sk-…`, `Bearer …`), and string values of credential-named fields. Used before
 * anything is logged; depends only on its input and the registered values.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return value;
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  // What pino's error serializer would write, with the secrets masked.
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      type: value.name,
      message: redactString(value.message),
      ...(code !== undefined ? { code } : {}),
      ...(value.stack ? { stack: redactString(value.stack) } : {}),
    };
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_FIELD.test(k) && typeof v === 'string' && v !== '' ? '[redacted]' : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

type PinoLogger = import('pino').Logger;

// Loggers still importing pino; flushLogs waits for them so no line is lost at exit.
const initializing = new Set<Promise<unknown>>();

/**
 * A logger writing JSON lines to `<logsDir>/ao.log`, with secrets redacted. pino is loaded and the
 * file opened on the first log call, so commands that never log pay nothing.
 */
export function createFileLogger(logsDir: string, options: { level?: string; bindings?: Record<string, unknown> } = {}): Logger {
  let pinoLogger: PinoLogger | undefined;
  let pending: Promise<PinoLogger> | undefined;
  const queue: Array<(l: PinoLogger) => void> = [];

  const init = (): void => {
    if (pending) return;
    addSecretValues(secretValuesOfEnv(process.env));
    pending = import('pino').then(({ default: pino }) => {
      mkdirPrivateSync(logsDir);
      // Created 0600 here: pino would open it with the umask's default mode.
      const file = join(logsDir, 'ao.log');
      closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
      const dest = pino.destination({ dest: file, sync: true });
      pinoLogger = pino(
        {
          level: options.level ?? process.env.AO_LOG_LEVEL ?? 'info',
          base: { pid: process.pid },
          formatters: { log: (obj) => redact(obj) as Record<string, unknown> },
          hooks: {
            logMethod(args, method) {
              const redacted = args.map((a) => (typeof a === 'string' ? (redact(a) as string) : a));
              method.apply(this, redacted as Parameters<typeof method>);
            },
          },
        },
        dest,
      );
      if (options.bindings) pinoLogger = pinoLogger.child(options.bindings);
      for (const fn of queue.splice(0)) fn(pinoLogger);
      return pinoLogger;
    });
    initializing.add(pending);
    void pending.finally(() => initializing.delete(pending as Promise<PinoLogger>));
  };

  const emit = (level: 'debug' | 'info' | 'warn' | 'error', obj: object | string, msg?: string): void => {
    const call = (l: PinoLogger): void => {
      if (typeof obj === 'string') l[level](obj);
      else l[level](obj, msg);
    };
    if (pinoLogger) return call(pinoLogger);
    queue.push(call);
    init();
  };

  const logger: Logger = {
    debug: (o, m) => emit('debug', o, m),
    info: (o, m) => emit('info', o, m),
    warn: (o, m) => emit('warn', o, m),
    error: (o, m) => emit('error', o, m),
    child: (bindings) => createFileLogger(logsDir, { ...options, bindings: { ...options.bindings, ...bindings } }),
  };
  return logger;
}

/** Waits until queued log lines are written (the CLI calls this before exiting). */
export async function flushLogs(): Promise<void> {
  await Promise.allSettled([...initializing]);
}

/** A logger that drops everything; for tests and tools that must not write files. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
