/** Small terminal rendering helpers shared by commands. */

const useColor = (): boolean => Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;

const wrap = (code: number) => (text: string): string => (useColor() ? `\x1b[${code}m${text}\x1b[0m` : text);
export const color = { green: wrap(32), red: wrap(31), yellow: wrap(33), dim: wrap(2), bold: wrap(1), cyan: wrap(36) };

/** Renders rows as aligned columns with a header. */
const visible = (s: string): number => s.replace(/\x1b\[[0-9;]*m/g, '').length;

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - visible(c))))).join('  ').trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...rows.map(line)].join('\n');
}

export function print(text = ''): void {
  process.stdout.write(`${text}\n`);
}

export function printErr(text: string): void {
  process.stderr.write(`${text}\n`);
}

let exitOnBrokenPipe = true;

/**
 * When the reader of our output goes away (`ao start | head -1`), the next write fails with EPIPE,
 * emitted as an 'error' event that would end the command with a stack trace. Exit quietly
 * instead, as a program killed by SIGPIPE does, with the exit code set so far (0 by default):
 * nobody is left to read more. Installed once, by the entry point, before any command runs.
 */
export function handleBrokenPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      if (exitOnBrokenPipe) process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    });
  }
}

/** The daemon keeps running when whoever read its output is gone: its work is not that output. */
export function outliveBrokenPipes(): void {
  exitOnBrokenPipe = false;
}
