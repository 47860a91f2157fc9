import { describe, expect, it } from 'vitest';
import { createTerminalScreen } from '../src/screen.js';

const render = async (output: string | string[], opts: { cols?: number; rows?: number; lines?: number } = {}): Promise<string> => {
  const screen = createTerminalScreen({ cols: opts.cols ?? 40, rows: opts.rows ?? 10 });
  for (const chunk of Array.isArray(output) ? output : [output]) screen.feed(chunk);
  return screen.render(opts.lines ?? 0);
};

describe('terminal screen model', () => {
  it('shows only the last state of a \\r progress line', async () => {
    const out = 'Downloading\r\n' + [0, 25, 50, 100].map((p) => `\rprogress ${p}%`).join('') + '\r\ndone\r\n';
    expect(await render(out)).toBe('Downloading\nprogress 100%\ndone');
  });

  it('a shorter progress line over a longer one keeps the tail unless the line is erased', async () => {
    expect(await render('abcdef\rxy')).toBe('xycdef');
    expect(await render('abcdef\r\x1b[Kxy')).toBe('xy');
    expect(await render('abcdef\r\x1b[2Kxy')).toBe('xy');
  });

  it('drops colours and other SGR attributes', async () => {
    expect(await render('\x1b[1;31merror\x1b[0m: \x1b[38;2;255;0;0mred\x1b[m and \x1b[38:5:196mmore\x1b[39m\r\n')).toBe('error: red and more');
  });

  it('skips OSC titles and hyperlinks (BEL or ST terminated) and charset designations', async () => {
    expect(await render('\x1b]0;my title\x07\x1b(Bhello \x1b]8;;https://x.test\x1b\\link\x1b]8;;\x1b\\\r\n')).toBe('hello link');
  });

  it('applies backspace and tabs', async () => {
    expect(await render('abc\b\bX\r\n')).toBe('aXc');
    expect(await render('a\tb\r\n')).toBe('a       b');
  });

  it('keeps a sequence split across chunks until it completes', async () => {
    expect(await render(['\x1b[3', '1mred\x1b', '[0m ok\x1b]0;ti', 'tle\x07!'])).toBe('red ok!');
  });

  it('follows cursor addressing and erase-in-display like a full-screen UI', async () => {
    const out = '\x1b[2J\x1b[H' + 'top line\x1b[3;5Hmiddle' + '\x1b[10;1Hbottom' + '\x1b[3;5H\x1b[Kmid';
    expect(await render(out)).toBe('top line\n\n    mid\n\n\n\n\n\n\nbottom');
  });

  it('joins soft-wrapped lines like capture-pane -J', async () => {
    expect(await render('0123456789abcdef\r\nnext\r\n', { cols: 10 })).toBe('0123456789abcdef\nnext');
  });

  it('scrolls into scrollback, and `lines` reaches back into it', async () => {
    const out = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\r\n');
    expect(await render(out, { rows: 5 })).toBe('line 16\nline 17\nline 18\nline 19\nline 20');
    expect(await render(out, { rows: 5, lines: 3 })).toBe('line 13\nline 14\nline 15\nline 16\nline 17\nline 18\nline 19\nline 20');
  });

  it('a cleared screen moves into the scrollback (tmux scroll-on-clear)', async () => {
    expect(await render('before\r\n\x1b[2J\x1b[Hafter', { lines: 10 })).toBe('before\nafter');
    expect(await render('before\r\n\x1b[2J\x1b[Hafter')).toBe('after');
  });

  it('shows the alternate screen while a full-screen UI runs and the main screen after', async () => {
    const screen = createTerminalScreen({ cols: 20, rows: 5 });
    screen.feed('$ ui\r\n\x1b[?1049h\x1b[HFULL SCREEN');
    await screen.settled();
    expect(screen.altScreen).toBe(true);
    expect(await screen.render()).toBe('FULL SCREEN');
    screen.feed('\x1b[?1049l$ ');
    await screen.settled();
    expect(screen.altScreen).toBe(false);
    expect(await screen.render()).toBe('$ ui\n$');
  });

  it('tracks bracketed-paste mode from the output', async () => {
    const screen = createTerminalScreen({ cols: 20, rows: 5 });
    expect(screen.bracketedPaste).toBe(false);
    screen.feed('\x1b[?20');
    screen.feed('04h> ');
    await screen.settled();
    expect(screen.bracketedPaste).toBe(true);
    screen.feed('\x1b[?2004l');
    await screen.settled();
    expect(screen.bracketedPaste).toBe(false);
  });

  it('counts wide characters as two columns', async () => {
    expect(await render('日本x\r\n', { cols: 4 })).toBe('日本x');
    expect(await render('✓ ok 🎉!\r\n')).toBe('✓ ok 🎉!');
  });

  it('handles insert/delete lines within a scroll region', async () => {
    const out = 'a\r\nb\r\nc\r\nd\x1b[2;3r\x1b[2;1H\x1b[L';
    expect(await render(out, { rows: 4 })).toBe('a\n\nb\nd');
  });

  it('resizing keeps the cursor line visible', async () => {
    const screen = createTerminalScreen({ cols: 20, rows: 6 });
    screen.feed('1\r\n2\r\n3\r\n4\r\n5');
    screen.resize(10, 3);
    expect(await screen.render()).toBe('3\n4\n5');
    expect(await screen.render(2)).toBe('1\n2\n3\n4\n5');
  });

  // Below: screens the hand-written emulator this model replaced got wrong (xterm.js gets them right).

  it('emoji of Unicode 9 and later are two columns wide, as the program that placed text after them assumed', async () => {
    // Ink and other TUIs measure ✅, ⭐ and 🟢 as two columns and move the cursor accordingly.
    expect(await render('✅x\x1b[1;4Hy\r\n')).toBe('✅xy');
    expect(await render('⭐ 🟢 x\x1b[1;8Hy\r\n')).toBe('⭐ 🟢 xy');
    expect(await render('✅✅✅✅✅✅✅✅✅✅next\r\n', { cols: 20 })).toBe('✅✅✅✅✅✅✅✅✅✅next');
  });

  it('narrowing the terminal rewraps long lines instead of cutting them off', async () => {
    const screen = createTerminalScreen({ cols: 40, rows: 5 });
    screen.feed('a line of thirty characters..\r\n$ ');
    screen.resize(12, 5);
    expect(await screen.render()).toBe('a line of thirty characters..\n$');
  });

  it('repeats the previous character (REP, which ncurses sends for runs like box lines)', async () => {
    expect(await render('┌─\x1b[8b┐\r\n')).toBe('┌─────────┐');
  });

  it('inserts in insert mode (IRM) instead of overwriting', async () => {
    expect(await render('world\r\x1b[4hhello \x1b[4l\r\n')).toBe('hello world');
  });

  it('addresses rows inside the scroll region in origin mode (DECOM)', async () => {
    expect(await render('\x1b[3;5r\x1b[?6h\x1b[1;1Hin the region\x1b[?6l\r\n', { rows: 6 })).toBe('\n\nin the region');
  });

  it('honours tab stops the program sets and clears, and back-tab', async () => {
    expect(await render('\x1b[3g\x1b[5G\x1bH\x1b[15G\x1bH\ra\tb\tc\r\n')).toBe('a   b         c');
    expect(await render('abcdefghijkl\x1b[Zx\r\n')).toBe('abcdefghxjkl');
  });

  it('a cursor saved at the right margin comes back to the last column, not past it', async () => {
    // A status line drawn with save/restore around it, from the end of a full-width line.
    expect(await render('0123456789abcdefghij\x1b7\r\nxx\x1b8Z\r\n', { cols: 20 })).toBe('0123456789abcdefghiZ\nxx');
  });
});
