/**
 * What a pty's program wrote: its screen as text (screen.ts), the raw tail a terminal attaching
 * later replays, and the live listeners of a web terminal.
 */
import { createTerminalScreen, type TerminalScreen } from './screen.js';

export interface PtyOutput {
  readonly screen: TerminalScreen;
  push(data: string): void;
  /** The raw output tail (escape sequences included), at most `tailBytes` plus one chunk. */
  tail(): string;
  /** Live output; returns the unsubscribe function. */
  subscribe(listener: (data: string) => void): () => void;
  /** The program exited: no more output for anyone. */
  close(): void;
}

export interface PtyOutputOptions {
  cols: number;
  rows: number;
  scrollback: number;
  tailBytes: number;
}

export function createPtyOutput(options: PtyOutputOptions): PtyOutput {
  const screen = createTerminalScreen({ cols: options.cols, rows: options.rows, scrollback: options.scrollback });
  const chunks: string[] = [];
  let size = 0;
  const listeners = new Set<(data: string) => void>();
  return {
    screen,
    push(data) {
      screen.feed(data);
      chunks.push(data);
      size += data.length;
      while (size > options.tailBytes && chunks.length > 1) size -= (chunks.shift() as string).length;
      for (const listener of listeners) listener(data);
    },
    tail: () => chunks.join(''),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => listeners.clear(),
  };
}
