import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { h, setText } from '../dom.js';

/**
 * The web terminal: xterm.js attached to the session's terminal over a WebSocket on the page's
 * own origin (the auth cookie goes with the upgrade). Output arrives as binary frames; keys and
 * size changes go back as JSON. Closing the page detaches; the session keeps running.
 */
export function mountTerminal(container: HTMLElement, sessionId: string): { dispose(): void; focus(): void } {
  const status = h('span', { class: 'term-status', role: 'status', 'aria-live': 'polite' }, 'connecting…');
  const reconnect = h('button', { type: 'button', class: 'small', hidden: true }, 'Reconnect');
  const screen = h('div', { class: 'term-screen', 'data-testid': 'terminal' });
  container.replaceChildren(h('div', { class: 'term-bar' }, h('span', { class: 'term-title' }, 'Terminal'), status, reconnect), screen);

  const term = new Terminal({
    cursorBlink: true,
    fontSize: 13,
    fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace',
    scrollback: 5000,
    theme: { background: '#0b0e14', foreground: '#d7dae0' },
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(screen);
  const safeFit = (): void => {
    try {
      fit.fit();
    } catch {
      // not laid out yet
    }
  };
  safeFit();

  let ws: WebSocket | undefined;
  let disposed = false;
  const send = (message: unknown): void => {
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  };

  const open = (): void => {
    reconnect.hidden = true;
    setText(status, 'connecting…');
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${proto}://${location.host}/api/sessions/${encodeURIComponent(sessionId)}/terminal?cols=${term.cols}&rows=${term.rows}`);
    socket.binaryType = 'arraybuffer';
    ws = socket;
    let error = '';
    socket.addEventListener('open', () => {
      setText(status, 'attached');
      screen.dataset.state = 'attached';
    });
    socket.addEventListener('message', (e: MessageEvent<ArrayBuffer | string>) => {
      if (typeof e.data === 'string') {
        try {
          const msg = JSON.parse(e.data) as { type?: string; message?: string };
          if (msg.type === 'error') error = msg.message ?? 'error';
        } catch {
          // not a control message
        }
        return;
      }
      term.write(new Uint8Array(e.data));
    });
    socket.addEventListener('close', (e) => {
      if (disposed || ws !== socket) return;
      screen.dataset.state = 'closed';
      setText(status, error || (e.code === 1006 ? 'connection lost' : `detached${e.reason ? `: ${e.reason}` : ''}`));
      reconnect.hidden = false;
    });
  };
  reconnect.addEventListener('click', open);

  term.onData((data) => send({ type: 'input', data }));
  term.onResize(({ cols, rows }) => send({ type: 'resize', cols, rows }));
  const observer = new ResizeObserver(() => safeFit());
  observer.observe(screen);
  open();

  return {
    focus: () => term.focus(),
    dispose() {
      disposed = true;
      observer.disconnect();
      ws?.close();
      term.dispose();
    },
  };
}
