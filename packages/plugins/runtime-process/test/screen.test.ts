import { describe, expect, it } from 'vitest';
import { createTerminalScreen } from '../src/screen.js';

const render = (output: string | string[], opts: { cols?: number; rows?: number; lines?: number } = {}): string => {
  const screen = createTerminalScreen({ cols: opts.cols ?? 40, rows: opts.rows ?? 10 });
  for (const chunk of Array.isArray(output) ? output : [output]) screen.feed(chunk);
  return screen.render(opts.lines ?? 0);
};

describe('terminal screen model', () => {
  it('shows only the last state of a \\r progress line', () => {
    const out = 'Downloading\r\n' + [0, 25, 50, 100].map((p) => `\rprogress ${p}%`).join('') + '\r\ndone\r\n';
    expect(render(out)).toBe('Downloading\nprogress 100%\ndone');
  });

  it('a shorter progress line over a longer one keeps the tail unless the line is erased', () => {
    expect(render('abcdef\rxy')).toBe('xycdef');
    expect(render('abcdef\r\x1b[Kxy')).toBe('xy');
    expect(render('abcdef\r\x1b[2Kxy')).toBe('xy');
  });

  it('drops colours and other SGR attributes', () => {
    expect(render('\x1b[1;31merror\x1b[0m: \x1b[38;2;255;0;0mred\x1b[m and \x1b[38:5:196mmore\x1b[39m\r\n')).toBe('error: red and more');
  });

  it('skips OSC titles and hyperlinks (BEL or ST terminated) and charset designations', () => {
    expect(render('\x1b]0;my title\x07\x1b(Bhello \x1b]8;;https://x.test\x1b\\link\x1b]8;;\x1b\\\r\n')).toBe('hello link');
  });

  it('applies backspace and tabs', () => {
    expect(render('abc\b\bX\r\n')).toBe('aXc');
    expect(render('a\tb\r\n')).toBe('a       b');
  });

  it('keeps a sequence split across chunks until it completes', () => {
    expect(render(['\x1b[3', '1mred\x1b', '[0m ok\x1b]0;ti', 'tle\x07!'])).toBe('red ok!');
  });

  it('follows cursor addressing and erase-in-display like a full-screen UI', () => {
    const out = '\x1b[2J\x1b[H' + 'top line\x1b[3;5Hmiddle' + '\x1b[10;1Hbottom' + '\x1b[3;5H\x1b[Kmid';
    expect(render(out)).toBe('top line\n\n    mid\n\n\n\n\n\n\nbottom');
  });

  it('joins soft-wrapped lines like capture-pane -J', () => {
    expect(render('0123456789abcdef\r\nnext\r\n', { cols: 10 })).toBe('0123456789abcdef\nnext');
  });

  it('scrolls into scrollback, and `lines` reaches back into it', () => {
    const out = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\r\n');
    expect(render(out, { rows: 5 })).toBe('line 16\nline 17\nline 18\nline 19\nline 20');
    expect(render(out, { rows: 5, lines: 3 })).toBe('line 13\nline 14\nline 15\nline 16\nline 17\nline 18\nline 19\nline 20');
  });

  it('a cleared screen moves into the scrollback (tmux scroll-on-clear)', () => {
    expect(render('before\r\n\x1b[2J\x1b[Hafter', { lines: 10 })).toBe('before\nafter');
    expect(render('before\r\n\x1b[2J\x1b[Hafter')).toBe('after');
  });

  it('shows the alternate screen while a full-screen UI runs and the main screen after', () => {
    const screen = createTerminalScreen({ cols: 20, rows: 5 });
    screen.feed('$ ui\r\n\x1b[?1049h\x1b[HFULL SCREEN');
    expect(screen.altScreen).toBe(true);
    expect(screen.render()).toBe('FULL SCREEN');
    screen.feed('\x1b[?1049l$ ');
    expect(screen.altScreen).toBe(false);
    expect(screen.render()).toBe('$ ui\n$');
  });

  it('tracks bracketed-paste mode from the output', () => {
    const screen = createTerminalScreen({ cols: 20, rows: 5 });
    expect(screen.bracketedPaste).toBe(false);
    screen.feed('\x1b[?20');
    screen.feed('04h> ');
    expect(screen.bracketedPaste).toBe(true);
    screen.feed('\x1b[?2004l');
    expect(screen.bracketedPaste).toBe(false);
  });

  it('counts wide characters as two columns', () => {
    expect(render('日本x\r\n', { cols: 4 })).toBe('日本x');
    expect(render('✓ ok 🎉!\r\n')).toBe('✓ ok 🎉!');
  });

  it('handles insert/delete lines within a scroll region', () => {
    const out = 'a\r\nb\r\nc\r\nd\x1b[2;3r\x1b[2;1H\x1b[L';
    expect(render(out, { rows: 4 })).toBe('a\n\nb\nd');
  });

  it('resizing keeps the cursor line visible', () => {
    const screen = createTerminalScreen({ cols: 20, rows: 6 });
    screen.feed('1\r\n2\r\n3\r\n4\r\n5');
    screen.resize(10, 3);
    expect(screen.render()).toBe('3\n4\n5');
    expect(screen.render(2)).toBe('1\n2\n3\n4\n5');
  });
});
