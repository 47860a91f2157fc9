import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from './contracts/plugin.js';

const SECRET_KEY = /(token|secret|password|passwd|authorization|cookie|api[-_]?key|_key$|^key$)/i;
const SECRET_VALUE = /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abpr]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9_-]{16,}|Bearer\s+[A-Za-z0-9._~+/=-]{8,})/g;

/** Replaces secret-looking keys and values with `[redacted]`, deeply. Pure; used before anything is logged. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return value;
  if (typeof value === 'string') return value.replace(SECRET_VALUE, '[redacted]');
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object' && !(value instanceof Error)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) && v != null && v !== '' ? '[redacted]' : redact(v, depth + 1);
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
    pending = import('pino').then(({ default: pino }) => {
      mkdirSync(logsDir, { recursive: true });
      const dest = pino.destination({ dest: join(logsDir, 'ao.log'), sync: true, mkdir: true });
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
