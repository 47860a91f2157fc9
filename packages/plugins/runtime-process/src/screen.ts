/**
 * The screen of a pty as plain text, the way `tmux capture-pane -p -J` prints it: xterm.js's
 * terminal model without a renderer (@xterm/headless) parses what the program writes, and a render
 * reads its buffer back as text (soft-wrapped lines joined, trailing spaces trimmed). Emoji widths
 * follow Unicode 11 (@xterm/addon-unicode11), as the agent CLIs' own width tables do.
 *
 * xterm.js parses asynchronously: `render` and `settled` wait until everything fed so far is parsed;
 * `bracketedPaste` and `altScreen` describe the output parsed so far.
 */
import { Unicode11Addon } from '@xterm/addon-unicode11';
import xtermHeadless, { type IBuffer, type IBufferCell, type IBufferLine, type ITerminalAddon } from '@xterm/headless';

// A CommonJS package: Node's ESM loader sees only its default export.
const { Terminal } = xtermHeadless;

export interface TerminalScreen {
  /** Applies output of the program (already decoded to a string). */
  feed(data: string): void;
  /** Resizes after the output fed so far, as the program sees it. Long lines are rewrapped. */
  resize(cols: number, rows: number): void;
  /** The visible screen plus up to `scrollback` lines above it; lines right-trimmed, trailing blank lines dropped. */
  render(scrollback?: number): Promise<string>;
  /** Resolves once the output fed so far is parsed. */
  settled(): Promise<void>;
  /** The program enabled bracketed paste (`ESC[?2004h`) and has not disabled it since. */
  readonly bracketedPaste: boolean;
  /** The program is on the alternate screen (full-screen UIs: `ESC[?1049h`). */
  readonly altScreen: boolean;
  dispose(): void;
}

export interface TerminalScreenOptions {
  cols: number;
  rows: number;
  /** Lines kept above the screen. */
  scrollback?: number;
}

export function createTerminalScreen(options: TerminalScreenOptions): TerminalScreen {
  const term = new Terminal({
    cols: Math.max(1, Math.floor(options.cols)),
    rows: Math.max(1, Math.floor(options.rows)),
    scrollback: Math.max(0, options.scrollback ?? 2000),
    // Like tmux: a cleared main screen moves into the scrollback instead of vanishing.
    scrollOnEraseInDisplay: true,
    // The unicode API is "proposed" in xterm.js.
    allowProposedApi: true,
    logLevel: 'off',
  });
  // The addon is typed against @xterm/xterm's Terminal; it uses only `unicode`, which headless has.
  term.loadAddon(new Unicode11Addon() as unknown as ITerminalAddon);
  term.unicode.activeVersion = '11';

  let pending = 0;
  let waiters: (() => void)[] = [];
  const parsed = (): void => {
    if (--pending > 0) return;
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  };
  /** Queues `data` behind the output not parsed yet; `then` runs once it is parsed. */
  const write = (data: string, then?: () => void): void => {
    pending++;
    term.write(data, () => {
      then?.();
      parsed();
    });
  };
  const settled = (): Promise<void> => (pending === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve)));

  return {
    feed: (data) => write(data),
    resize(cols, rows) {
      write('', () => term.resize(Math.max(1, Math.floor(cols)), Math.max(1, Math.floor(rows))));
    },
    async render(scrollback = 0) {
      await settled();
      const normal = term.buffer.normal;
      const active = term.buffer.active;
      // The main screen's scrollback stays above a full-screen UI's alternate screen, as in tmux.
      const from = Math.max(0, normal.baseY - Math.max(0, Math.floor(scrollback)));
      const lines =
        active === normal
          ? joinWrapped(normal, from, normal.baseY + term.rows)
          : [...joinWrapped(normal, from, normal.baseY), ...joinWrapped(active, active.baseY, active.baseY + term.rows)];
      return lines.join('\n').replace(/\n+$/, '');
    },
    settled,
    get bracketedPaste() {
      return term.modes.bracketedPasteMode;
    },
    get altScreen() {
      return term.buffer.active.type === 'alternate';
    },
    dispose: () => term.dispose(),
  };
}

/** Lines [from, to) of a buffer as text, a soft-wrapped line joined with its continuation (`capture-pane -J`). */
function joinWrapped(buffer: IBuffer, from: number, to: number): string[] {
  const out: string[] = [];
  const cell = buffer.getNullCell();
  let current = '';
  for (let y = from; y < to; y++) {
    const line = buffer.getLine(y);
    if (!line) break;
    if (y < to - 1 && buffer.getLine(y + 1)?.isWrapped) {
      current += line.translateToString(false, 0, contentEnd(line, cell));
      continue;
    }
    out.push((current + line.translateToString(true)).trimEnd());
    current = '';
  }
  if (current !== '') out.push(current.trimEnd());
  return out;
}

/** The end of a wrapped line's text: the last cell stays empty when a wide character did not fit there. */
function contentEnd(line: IBufferLine, cell: IBufferCell): number {
  const last = line.getCell(line.length - 1, cell);
  return last && last.getWidth() === 1 && last.getChars() === '' ? line.length - 1 : line.length;
}
