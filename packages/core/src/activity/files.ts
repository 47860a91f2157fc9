/**
 * Reading agents' own logs cheaply. A lifecycle poll asks every session's agent for its activity
 * every few seconds, and agent transcripts grow to many megabytes, so these helpers read only the
 * end (or the start) of a file and stat directories instead of opening every file.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Default bytes read from the end of a JSONL file. */
export const DEFAULT_TAIL_BYTES = 64 * 1024;
/** Upper bound when a single line is longer than the window (a big tool result). */
const MAX_TAIL_BYTES = 8 * 1024 * 1024;

export interface JsonlTail {
  path: string;
  /** File size in bytes when read. */
  size: number;
  /** Last modification time (ms since epoch). */
  mtimeMs: number;
  /** Parsed complete lines from the end of the file, oldest first. Unparseable lines are skipped. */
  entries: unknown[];
  /** Bytes actually read (at most the window, grown only while no complete line fit). */
  bytesRead: number;
}

export interface JsonlTailOptions {
  /** Initial window from the end of the file. Default `DEFAULT_TAIL_BYTES`. */
  maxBytes?: number;
  /** Keep at most this many entries (the newest). */
  maxEntries?: number;
}

function parseLines(text: string, entries: unknown[]): void {
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    try {
      entries.push(JSON.parse(trimmed));
    } catch {
      // A line cut at the window's start or still being written: not ours to judge.
    }
  }
}

/**
 * Parses the last complete lines of a JSONL file, reading only its last `maxBytes` (doubling the
 * window, up to 8 MiB, while not one complete line fits). A last line without its newline is kept
 * when it parses — writers often flush a whole record before the newline — and skipped otherwise.
 * Rejects with the fs error when the file can't be read (callers fall back to the screen).
 */
export async function readJsonlTail(path: string, options: JsonlTailOptions = {}): Promise<JsonlTail> {
  const handle = await open(path, 'r');
  try {
    const { size, mtimeMs } = await handle.stat();
    let window = Math.max(1, options.maxBytes ?? DEFAULT_TAIL_BYTES);
    let bytesRead = 0;
    for (;;) {
      const start = Math.max(0, size - window);
      const buffer = Buffer.alloc(size - start);
      const { bytesRead: n } = await handle.read(buffer, 0, buffer.length, start);
      bytesRead += n;
      let text = buffer.subarray(0, n).toString('utf8');
      if (start > 0) {
        const firstNewline = text.indexOf('\n');
        // No newline at all: the window sits inside one long line; widen it.
        if (firstNewline === -1 && window < MAX_TAIL_BYTES && start > 0) {
          window *= 4;
          continue;
        }
        text = firstNewline === -1 ? '' : text.slice(firstNewline + 1);
      }
      const entries: unknown[] = [];
      parseLines(text, entries);
      if (entries.length === 0 && start > 0 && window < MAX_TAIL_BYTES) {
        window *= 4;
        continue;
      }
      const max = options.maxEntries;
      return { path, size, mtimeMs, entries: max !== undefined ? entries.slice(-max) : entries, bytesRead };
    }
  } finally {
    await handle.close();
  }
}

/**
 * Parses the first line of a JSONL file (a header such as Codex's `session_meta`), reading 64 KiB
 * at a time up to `maxBytes` (default 1 MiB). Undefined when it isn't complete JSON by then.
 */
export async function readFirstJsonLine(path: string, maxBytes = 1024 * 1024): Promise<unknown> {
  const handle = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    while (total < maxBytes) {
      const buffer = Buffer.alloc(Math.min(64 * 1024, maxBytes - total));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, total);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      chunks.push(chunk);
      total += bytesRead;
      if (chunk.includes(0x0a)) break;
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const newline = text.indexOf('\n');
    try {
      return JSON.parse(newline === -1 ? text : text.slice(0, newline));
    } catch {
      return undefined;
    }
  } finally {
    await handle.close();
  }
}

export interface RecentFile {
  path: string;
  mtimeMs: number;
  size: number;
}

export interface RecentFileOptions {
  /** Only files modified at or after this time (ms since epoch). */
  since?: number;
  /** Only files whose base name passes. */
  match?: (name: string) => boolean;
  /** How many directory levels below `dir` to descend. Default 0 (only `dir` itself). */
  maxDepth?: number;
}

/**
 * Files under `dir` modified since `since`, newest first. A missing or unreadable directory is
 * simply empty: an agent that hasn't written its log yet is not an error.
 */
export async function listRecentFiles(dir: string, options: RecentFileOptions = {}): Promise<RecentFile[]> {
  const out: RecentFile[] = [];
  const since = options.since ?? 0;
  const walk = async (current: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      return;
    }
    await Promise.all(
      entries.map(async (entry) => {
        const full = join(current, entry.name);
        if (entry.isDirectory()) {
          if (depth < (options.maxDepth ?? 0)) await walk(full, depth + 1);
          return;
        }
        if (!entry.isFile() || (options.match && !options.match(entry.name))) return;
        try {
          const s = await stat(full);
          if (s.mtimeMs >= since) out.push({ path: full, mtimeMs: s.mtimeMs, size: s.size });
        } catch {
          // Deleted between readdir and stat.
        }
      }),
    );
  };
  await walk(dir, 0);
  return out.sort((a, b) => b.mtimeMs - a.mtimeMs || (a.path < b.path ? 1 : -1));
}

/** The newest file under `dir` modified since `since` (see `listRecentFiles`), if any. */
export async function findNewestFile(dir: string, options: RecentFileOptions = {}): Promise<RecentFile | undefined> {
  return (await listRecentFiles(dir, options))[0];
}

export interface JsonlChunk {
  /** Parsed complete lines after `from`, oldest first, with the byte offset each starts at. Unparseable lines are skipped. */
  entries: { offset: number; value: unknown }[];
  /** Offset just past the last complete line read: where the next read starts. */
  next: number;
  /** File size when read. */
  size: number;
}

/**
 * Parses the complete lines of a JSONL file from byte `from` on, reading at most `maxBytes`
 * (default 32 MiB) per call: the incremental reader for logs that grow, so a poll reads only what
 * was appended since the last one. A line still being written (no newline yet) is left for the
 * next read. A file now shorter than `from` was replaced: it is read from the start.
 */
export async function readJsonlFrom(path: string, from: number, maxBytes = 32 * 1024 * 1024): Promise<JsonlChunk> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const start = from > size ? 0 : from;
    const length = Math.min(size - start, maxBytes);
    if (length <= 0) return { entries: [], next: start, size };
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, start);
    const data = buffer.subarray(0, bytesRead);
    const entries: { offset: number; value: unknown }[] = [];
    let lineStart = 0;
    for (let i = data.indexOf(0x0a); i !== -1; i = data.indexOf(0x0a, lineStart)) {
      const line = data.subarray(lineStart, i).toString('utf8').trim();
      if (line !== '') {
        try {
          entries.push({ offset: start + lineStart, value: JSON.parse(line) });
        } catch {
          // Not JSON: not ours to judge.
        }
      }
      lineStart = i + 1;
    }
    // One line longer than the window: skip past it rather than stall on it forever.
    if (lineStart === 0 && bytesRead === maxBytes) return { entries, next: start + bytesRead, size };
    return { entries, next: start + lineStart, size };
  } finally {
    await handle.close();
  }
}
