import { watch, type FSWatcher } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { SessionEventSchema, type SessionEvent } from './schema.js';
import { hasCode } from './fs-atomic.js';

/** A file (or one line of it) that could not be read; reported, then skipped. */
export interface StoreProblem {
  path: string;
  reason: string;
  /** 1-based line number, for a bad line of an event log. */
  line?: number;
}

export interface ParsedLog {
  events: SessionEvent[];
  problems: StoreProblem[];
}

/**
 * Parses JSONL text. A bad line is reported with its number and skipped; the rest still count,
 * because throwing a whole history away over one torn line would lose more than it protects.
 * `firstLine` numbers lines when `text` is a tail of the file.
 */
export function parseEventLines(text: string, path: string, firstLine = 1): ParsedLog {
  const events: SessionEvent[] = [];
  const problems: StoreProblem[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const lineNo = firstLine + index;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      problems.push({ path, line: lineNo, reason: `line ${lineNo}: invalid JSON: ${(error as Error).message}` });
      return;
    }
    const parsed = SessionEventSchema.safeParse(value);
    if (parsed.success) events.push(parsed.data);
    else problems.push({ path, line: lineNo, reason: `line ${lineNo}: not a session event: ${formatIssues(parsed.error.issues)}` });
  });
  return { events, problems };
}

/** Reads the whole log; a missing file is an empty log (`exists: false`). */
export async function readEventLog(path: string): Promise<ParsedLog & { exists: boolean }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return { events: [], problems: [], exists: false };
    throw error;
  }
  return { ...parseEventLines(text, path), exists: true };
}

export function formatIssues(issues: readonly { path: (string | number)[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

export interface FollowOptions {
  /** Only events whose `ts` is at or after this time (epoch ms). */
  since?: number;
  /** Skip what is already in the log; emit only events appended from now on. */
  fromEnd?: boolean;
  /** Called for each corrupt line met while following. */
  onProblem?: (problem: StoreProblem) => void;
  /** Poll interval of the fallback for file systems where `fs.watch` misses changes. Default 500 ms. */
  pollMs?: number;
}

/**
 * Tails the log: emits events (existing ones first unless `fromEnd`), then each appended one, until
 * `signal` aborts; then it resolves. `fs.watch` gives low latency; a poll timer covers the file
 * systems (network mounts, some containers) where watch events never come. Only complete lines
 * are consumed, so a line being written is picked up once its newline lands.
 */
export async function followEventLog(
  path: string,
  onEvent: (event: SessionEvent) => void | Promise<void>,
  signal: AbortSignal,
  options: FollowOptions = {},
): Promise<void> {
  let offset = 0;
  let lineNo = 1;
  if (options.fromEnd) {
    const text = await readFile(path, 'utf8').catch(() => '');
    const end = text.lastIndexOf('\n') + 1;
    offset = Buffer.byteLength(text.slice(0, end));
    lineNo += countNewlines(text.slice(0, end));
  }
  if (signal.aborted) return;

  let reading: Promise<void> | null = null;
  let again = false;
  let failure: unknown = null;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const readNew = async (): Promise<void> => {
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (hasCode(error, 'ENOENT')) return; // not there yet, or archived: keep waiting
      throw error;
    }
    try {
      const { size } = await handle.stat();
      if (size < offset) {
        offset = 0; // replaced or truncated: start over
        lineNo = 1;
      }
      if (size === offset) return;
      const buffer = Buffer.alloc(size - offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      const chunk = buffer.subarray(0, bytesRead);
      const end = chunk.lastIndexOf(0x0a) + 1;
      if (end === 0) return;
      const text = chunk.subarray(0, end).toString('utf8');
      offset += end;
      const { events, problems } = parseEventLines(text, path, lineNo);
      lineNo += countNewlines(text);
      for (const problem of problems) options.onProblem?.(problem);
      for (const event of events) {
        if (signal.aborted) return;
        if (options.since !== undefined && Date.parse(event.ts) < options.since) continue;
        await onEvent(event);
      }
    } finally {
      await handle.close();
    }
  };

  // Serialises reads: a watch event during a read schedules one more read, never a parallel one.
  const poke = (): void => {
    if (signal.aborted) return;
    if (reading) {
      again = true;
      return;
    }
    reading = readNew()
      .catch((error: unknown) => {
        failure = error;
        stop();
      })
      .finally(() => {
        reading = null;
        if (again) {
          again = false;
          poke();
        }
      });
  };

  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(path, { persistent: false }, poke);
    watcher.on('error', () => {
      watcher?.close();
      watcher = null;
    });
  } catch {
    watcher = null; // file missing yet, or watch unsupported: the poll covers it
  }
  const timer = setInterval(poke, options.pollMs ?? 500);

  function stop(): void {
    clearInterval(timer);
    watcher?.close();
    watcher = null;
    finish();
  }
  signal.addEventListener('abort', stop, { once: true });
  poke();
  await finished;
  signal.removeEventListener('abort', stop);
  if (reading) await reading;
  if (failure) throw failure;
}

function countNewlines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return count;
}
