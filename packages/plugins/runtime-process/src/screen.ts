/**
 * A small terminal model: enough of a VT100/xterm to turn what an agent CLI writes to its pty into
 * the plain text a human would see, the way `tmux capture-pane -p -J` prints it. It keeps a grid
 * of cells (plus scrollback), moves a cursor, and understands `\r`, `\n`, backspace, tabs, the
 * cursor/erase/scroll CSI sequences full-screen UIs use, the alternate screen and bracketed-paste
 * mode. Colours and other attributes are dropped; OSC/DCS strings are skipped.
 *
 * It is fed incrementally (a sequence split across two chunks is kept until it completes), so a
 * capture costs a render of the grid, never a re-parse of the whole output.
 */

interface Line {
  /** One entry per column; `''` is the right half of a wide character; missing means blank. */
  cells: string[];
  /** The line continues on the next one (soft wrap): joined on render, like `capture-pane -J`. */
  wrapped: boolean;
}

export interface TerminalScreen {
  /** Applies output of the program (already decoded to a string). */
  feed(data: string): void;
  resize(cols: number, rows: number): void;
  /** The visible screen plus up to `scrollback` lines above it; lines right-trimmed, trailing blank lines dropped. */
  render(scrollback?: number): string;
  /** The program enabled bracketed paste (`ESC[?2004h`) and has not disabled it since. */
  readonly bracketedPaste: boolean;
  /** The program is on the alternate screen (full-screen UIs: `ESC[?1049h`). */
  readonly altScreen: boolean;
}

export interface TerminalScreenOptions {
  cols: number;
  rows: number;
  /** Lines kept above the screen. */
  scrollback?: number;
}

/** Longest escape sequence kept while waiting for its end (an unterminated OSC must not grow forever). */
const MAX_PENDING = 64 * 1024;

const blankLine = (): Line => ({ cells: [], wrapped: false });

/** Display width of a code point: 0 for combining marks and joiners, 2 for CJK and emoji, else 1. */
export function charWidth(cp: number): 0 | 1 | 2 {
  if (
    (cp >= 0x0300 && cp <= 0x036f) ||
    (cp >= 0x1ab0 && cp <= 0x1aff) ||
    (cp >= 0x1dc0 && cp <= 0x1dff) ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x20d0 && cp <= 0x20ff) ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    (cp >= 0xfe20 && cp <= 0xfe2f)
  ) {
    return 0;
  }
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f680 && cp <= 0x1f6ff) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

export function createTerminalScreen(options: TerminalScreenOptions): TerminalScreen {
  let cols = Math.max(1, Math.floor(options.cols));
  let rows = Math.max(1, Math.floor(options.rows));
  const scrollbackLimit = Math.max(0, options.scrollback ?? 2000);
  const history: Line[] = [];
  let main: Line[] = Array.from({ length: rows }, blankLine);
  let alt: Line[] | undefined;
  /** `x === cols` means "wrap pending": the next printable character starts a new line. */
  let x = 0;
  let y = 0;
  let saved = { x: 0, y: 0 };
  let savedBeforeAlt = { x: 0, y: 0 };
  let top = 0;
  let bottom = rows - 1;
  let autowrap = true;
  let bracketedPaste = false;
  let pending = '';

  const grid = (): Line[] => alt ?? main;
  const clampY = (v: number) => Math.min(rows - 1, Math.max(0, v));
  const clampX = (v: number) => Math.min(cols - 1, Math.max(0, v));

  const pushHistory = (line: Line): void => {
    if (scrollbackLimit === 0) return;
    history.push(line);
    if (history.length > scrollbackLimit) history.splice(0, history.length - scrollbackLimit);
  };

  const scrollUp = (n: number): void => {
    const g = grid();
    for (let i = 0; i < n; i++) {
      const [gone] = g.splice(top, 1);
      if (gone && top === 0 && !alt) pushHistory(gone);
      g.splice(bottom, 0, blankLine());
    }
  };

  const scrollDown = (n: number): void => {
    const g = grid();
    for (let i = 0; i < n; i++) {
      g.splice(bottom, 1);
      g.splice(top, 0, blankLine());
    }
  };

  const lineFeed = (): void => {
    if (y === bottom) scrollUp(1);
    else if (y < rows - 1) y++;
  };

  const reverseIndex = (): void => {
    if (y === top) scrollDown(1);
    else if (y > 0) y--;
  };

  const line = (row: number): Line => grid()[row] as Line;

  /** Blanks columns [from, to) of a row. */
  const erase = (row: number, from: number, to: number): void => {
    const cells = line(row).cells;
    for (let c = Math.max(0, from); c < Math.min(to, cells.length); c++) cells[c] = ' ';
    if (to >= cols) {
      cells.length = Math.min(cells.length, Math.max(0, from));
      line(row).wrapped = false;
    }
  };

  const put = (ch: string, width: number): void => {
    if (width === 0) {
      // Combining mark: belongs to the previous cell.
      const cells = line(y).cells;
      const at = Math.min(x, cols) - 1;
      if (at >= 0 && cells[at] !== undefined) cells[at] += ch;
      return;
    }
    if (x + width > cols) {
      if (autowrap) {
        line(y).wrapped = true;
        x = 0;
        lineFeed();
      } else {
        x = cols - width;
      }
    }
    const cells = line(y).cells;
    while (cells.length < x) cells.push(' ');
    cells[x] = ch;
    if (width === 2) cells[x + 1] = '';
    x += width;
  };

  const eraseDisplay = (mode: number): void => {
    const g = grid();
    if (mode === 0) {
      erase(y, x, cols);
      for (let r = y + 1; r < rows; r++) g[r] = blankLine();
    } else if (mode === 1) {
      for (let r = 0; r < y; r++) g[r] = blankLine();
      erase(y, 0, x + 1);
    } else if (mode === 2) {
      // Like tmux's scroll-on-clear: a cleared main screen moves into the scrollback.
      if (!alt) {
        let last = rows - 1;
        while (last >= 0 && (g[last] as Line).cells.every((c) => c === ' ' || c === '')) last--;
        for (let r = 0; r <= last; r++) pushHistory(g[r] as Line);
      }
      for (let r = 0; r < rows; r++) g[r] = blankLine();
    } else if (mode === 3) {
      history.length = 0;
    }
  };

  const setPrivateMode = (params: number[], on: boolean): void => {
    for (const p of params) {
      if (p === 2004) bracketedPaste = on;
      else if (p === 7) autowrap = on;
      else if (p === 47 || p === 1047 || p === 1049) {
        if (on && !alt) {
          if (p === 1049) savedBeforeAlt = { x, y };
          alt = Array.from({ length: rows }, blankLine);
        } else if (!on && alt) {
          alt = undefined;
          if (p === 1049) ({ x, y } = savedBeforeAlt);
        }
        top = 0;
        bottom = rows - 1;
      }
    }
  };

  const csi = (prefix: string, rawParams: string, final: string): void => {
    const params = rawParams === '' ? [] : rawParams.split(/[;:]/).map((p) => (p === '' ? 0 : Number.parseInt(p, 10) || 0));
    const n = Math.max(1, params[0] ?? 1);
    if (prefix === '?') {
      if (final === 'h') setPrivateMode(params, true);
      else if (final === 'l') setPrivateMode(params, false);
      return;
    }
    if (prefix !== '') return; // `>`/`=` queries and keyboard protocols: no effect on the text
    const g = grid();
    switch (final) {
      case 'A':
        y = clampY(y - n);
        x = Math.min(x, cols - 1);
        break;
      case 'B':
      case 'e':
        y = clampY(y + n);
        x = Math.min(x, cols - 1);
        break;
      case 'C':
      case 'a':
        x = clampX(x + n);
        break;
      case 'D':
        x = clampX(Math.min(x, cols - 1) - n);
        break;
      case 'E':
        y = clampY(y + n);
        x = 0;
        break;
      case 'F':
        y = clampY(y - n);
        x = 0;
        break;
      case 'G':
      case '`':
        x = clampX(n - 1);
        break;
      case 'd':
        y = clampY(n - 1);
        break;
      case 'H':
      case 'f':
        y = clampY(Math.max(1, params[0] ?? 1) - 1);
        x = clampX(Math.max(1, params[1] ?? 1) - 1);
        break;
      case 'J':
        eraseDisplay(params[0] ?? 0);
        break;
      case 'K': {
        const mode = params[0] ?? 0;
        if (mode === 0) erase(y, x, cols);
        else if (mode === 1) erase(y, 0, x + 1);
        else erase(y, 0, cols);
        break;
      }
      case 'X':
        erase(y, x, x + n);
        break;
      case '@': {
        const cells = line(y).cells;
        if (x < cells.length) cells.splice(x, 0, ...Array<string>(n).fill(' '));
        cells.length = Math.min(cells.length, cols);
        break;
      }
      case 'P':
        line(y).cells.splice(x, n);
        break;
      case 'L':
        if (y >= top && y <= bottom) {
          for (let i = 0; i < n; i++) {
            g.splice(bottom, 1);
            g.splice(y, 0, blankLine());
          }
        }
        break;
      case 'M':
        if (y >= top && y <= bottom) {
          for (let i = 0; i < n; i++) {
            g.splice(y, 1);
            g.splice(bottom, 0, blankLine());
          }
        }
        break;
      case 'S':
        scrollUp(n);
        break;
      case 'T':
        if (params.length <= 1) scrollDown(n);
        break;
      case 'r': {
        const t = Math.max(1, params[0] ?? 1) - 1;
        const b = Math.min(rows, params[1] && params[1] > 0 ? params[1] : rows) - 1;
        if (t < b) {
          top = t;
          bottom = b;
          x = 0;
          y = 0;
        }
        break;
      }
      case 's':
        if (params.length === 0) saved = { x, y };
        break;
      case 'u':
        ({ x, y } = saved);
        break;
      default:
        // SGR (m), device reports (n, c), window ops (t)…: nothing to render.
        break;
    }
  };

  const reset = (): void => {
    main = Array.from({ length: rows }, blankLine);
    alt = undefined;
    x = 0;
    y = 0;
    top = 0;
    bottom = rows - 1;
    autowrap = true;
    bracketedPaste = false;
  };

  /** Handles the escape sequence at `s[i]`; returns its length, or -1 when it is incomplete. */
  const escape = (s: string, i: number): number => {
    const kind = s[i + 1];
    if (kind === undefined) return -1;
    if (kind === '[') {
      const match = /^\x1b\[([<=>?]?)([0-9;:]*)[ -/]*([@-~])/.exec(s.slice(i, i + 256));
      if (match) {
        csi(match[1] ?? '', match[2] ?? '', match[3] ?? '');
        return match[0].length;
      }
      return /^\x1b\[[0-?]*[ -/]*$/.test(s.slice(i, i + 256)) ? -1 : 2;
    }
    if (kind === ']' || kind === 'P' || kind === '_' || kind === '^' || kind === 'X') {
      // String sequences (titles, hyperlinks, DCS): skipped up to BEL (OSC) or ST.
      for (let j = i + 2; j < s.length; j++) {
        if (s[j] === '\x07' && kind === ']') return j + 1 - i;
        if (s[j] === '\x1b') {
          if (j + 1 >= s.length) return -1;
          if (s[j + 1] === '\\') return j + 2 - i;
        }
      }
      return -1;
    }
    if ('()*+-./#% '.includes(kind)) return i + 2 < s.length ? 3 : -1;
    switch (kind) {
      case '7':
        saved = { x, y };
        break;
      case '8':
        ({ x, y } = saved);
        break;
      case 'D':
        lineFeed();
        break;
      case 'E':
        x = 0;
        lineFeed();
        break;
      case 'M':
        reverseIndex();
        break;
      case 'c':
        reset();
        break;
      default:
        break;
    }
    return 2;
  };

  const feed = (data: string): void => {
    const s = pending + data;
    pending = '';
    let i = 0;
    while (i < s.length) {
      const code = s.charCodeAt(i);
      if (code === 0x1b) {
        const used = escape(s, i);
        if (used < 0) {
          const rest = s.slice(i);
          if (rest.length <= MAX_PENDING) pending = rest;
          return;
        }
        i += used;
        continue;
      }
      if (code < 0x20 || code === 0x7f) {
        if (code === 0x0d) x = 0;
        else if (code === 0x0a || code === 0x0b || code === 0x0c) lineFeed();
        else if (code === 0x08) x = Math.max(0, Math.min(x, cols - 1) - 1);
        else if (code === 0x09) x = Math.min(cols - 1, (Math.floor(x / 8) + 1) * 8);
        i++;
        continue;
      }
      const cp = s.codePointAt(i) as number;
      const ch = String.fromCodePoint(cp);
      put(ch, charWidth(cp));
      i += ch.length;
    }
  };

  const resize = (newCols: number, newRows: number): void => {
    const c = Math.max(1, Math.floor(newCols));
    const r = Math.max(1, Math.floor(newRows));
    for (const g of [main, alt]) {
      if (!g) continue;
      for (const l of g) if (l.cells.length > c) l.cells.length = c;
    }
    if (r < rows) {
      // Keep the cursor's line visible: lines above it leave through the top, like xterm.
      const overflow = Math.max(0, y - (r - 1));
      for (const l of main.splice(0, overflow)) pushHistory(l);
      if (alt) alt.splice(0, overflow);
      y -= overflow;
      main.length = r;
      if (alt) alt.length = r;
    } else {
      while (main.length < r) main.push(blankLine());
      while (alt && alt.length < r) alt.push(blankLine());
    }
    cols = c;
    rows = r;
    top = 0;
    bottom = rows - 1;
    x = Math.min(x, cols);
    y = clampY(y);
  };

  const render = (scrollback = 0): string => {
    const lines = [...(scrollback > 0 ? history.slice(-scrollback) : []), ...grid()];
    const out: string[] = [];
    let current = '';
    for (const l of lines) {
      current += l.cells.join('');
      if (l.wrapped) continue;
      out.push(current.trimEnd());
      current = '';
    }
    if (current !== '') out.push(current.trimEnd());
    return out.join('\n').replace(/\n+$/, '');
  };

  return {
    feed,
    resize,
    render,
    get bracketedPaste() {
      return bracketedPaste;
    },
    get altScreen() {
      return alt !== undefined;
    },
  };
}
