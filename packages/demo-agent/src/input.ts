// The agent's line editor: raw terminal input (keys, Enter, bracketed paste, escape sequences)
// turned into submissions, as a real agent CLI reads it.

/** What one chunk of terminal input amounted to. */
export interface InputResult {
  /** Completed submissions, in order. */
  submissions: string[];
  /** What a terminal would show for the keys typed (the agent echoes in raw mode). */
  echo: string;
  /** Ctrl-C was pressed. */
  interrupt: boolean;
  /** Ctrl-D on an empty line. */
  eof: boolean;
}

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

/** Longest suffix of `text` that is a proper prefix of `marker` (a marker split across chunks). */
function partialMarker(text: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, text.length); n > 0; n--) {
    if (marker.startsWith(text.slice(text.length - n))) return n;
  }
  return 0;
}

/**
 * Turns raw terminal input into submissions the way an agent's line editor does: Enter (`\r` or
 * `\n`) outside a paste submits; text between bracketed-paste markers is literal, its newlines
 * included; escape sequences (arrows…) are ignored; backspace edits. Empty lines are not submitted.
 */
export function createInputParser(): { feed(chunk: string): InputResult; end(): InputResult } {
  let pending = '';
  let line = '';
  let paste: string | undefined;
  let lastWasCR = false;

  const feed = (chunk: string): InputResult => {
    const out: InputResult = { submissions: [], echo: '', interrupt: false, eof: false };
    pending += chunk;
    let i = 0;
    while (i < pending.length) {
      if (paste !== undefined) {
        const end = pending.indexOf(PASTE_END, i);
        if (end < 0) {
          const keep = partialMarker(pending.slice(i), PASTE_END);
          paste += pending.slice(i, pending.length - keep);
          i = pending.length - keep;
          break;
        }
        // Terminals (and tmux) send pasted newlines as CR; the text meant LF.
        const text = (paste + pending.slice(i, end)).replace(/\r\n?/g, '\n');
        line += text;
        out.echo += text;
        paste = undefined;
        i = end + PASTE_END.length;
        lastWasCR = false;
        continue;
      }
      const ch = pending[i] as string;
      if (ch === '\x1b') {
        const rest = pending.slice(i);
        if (rest.startsWith(PASTE_START)) {
          paste = '';
          i += PASTE_START.length;
          continue;
        }
        const csi = /^\x1b\[[0-?]*[ -/]*[@-~]/.exec(rest);
        if (csi) {
          i += csi[0].length;
          continue;
        }
        if (/^\x1b(\[[0-?]*[ -/]*)?$/.test(rest)) break; // incomplete sequence: wait for more
        i += 2; // Alt+key
        continue;
      }
      i += 1;
      if (ch === '\n' && lastWasCR) {
        lastWasCR = false;
        continue;
      }
      lastWasCR = ch === '\r';
      if (ch === '\r' || ch === '\n') {
        out.echo += '\n';
        if (line !== '') out.submissions.push(line);
        line = '';
      } else if (ch === '\x7f' || ch === '\b') {
        if (line !== '') {
          line = line.slice(0, /[\udc00-\udfff]$/.test(line) ? -2 : -1);
          out.echo += '\b \b';
        }
      } else if (ch === '\x03') {
        out.interrupt = true;
      } else if (ch === '\x04') {
        if (line === '') out.eof = true;
      } else if (ch === '\x15') {
        line = '';
      } else if (ch >= ' ' || ch === '\t') {
        line += ch;
        out.echo += ch;
      }
    }
    pending = pending.slice(i);
    return out;
  };

  /** The input stream ended: whatever was typed without Enter still counts. */
  const end = (): InputResult => {
    const rest = (paste ?? '') + line;
    paste = undefined;
    line = '';
    pending = '';
    return { submissions: rest === '' ? [] : [rest], echo: '', interrupt: false, eof: true };
  };

  return { feed, end };
}
