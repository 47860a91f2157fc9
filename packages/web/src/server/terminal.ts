/**
 * The web terminal: xterm.js in the page, attached over a WebSocket on the daemon's own port at
 * `/api/sessions/:id/terminal?cols=&rows=`. Output goes to the page as binary frames; the page
 * sends JSON text frames `{ "type": "input", "data" }` and `{ "type": "resize", "cols", "rows" }`.
 *
 * One code path for every runtime: the session's runtime opens its terminal as a byte stream
 * (`Runtime.openTerminal`, through `SessionManager.openTerminal`). Closing the page closes that
 * stream, which detaches this viewer only, never the agent.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { describeError, type Logger, type SessionManager, type TerminalConnection } from '@ao/core';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

export interface TerminalServerDeps {
  manager: SessionManager;
  logger: Logger;
}

const PATH = /^\/api\/sessions\/([A-Za-z0-9][A-Za-z0-9._-]*)\/terminal\/?$/;
/** A WebSocket close reason: at most 123 bytes, cut on a character boundary. */
const closeReason = (text: string): string => Buffer.from(text, 'utf8').subarray(0, 120).toString('utf8').replace(/\uFFFD+$/, '');
const clamp = (n: unknown, min: number, max: number, fallback: number): number => {
  const v = typeof n === 'number' ? n : Number.parseInt(String(n ?? ''), 10);
  return Number.isFinite(v) ? Math.min(max, Math.max(min, Math.floor(v))) : fallback;
};

export function createTerminalServer(deps: TerminalServerDeps): {
  /**
   * Handles upgrades to the terminal path; false for any other path. The daemon's server has
   * already checked Host, Origin (a page on another origin must not drive a terminal, even with
   * the cookie) and the token, for this and every other request.
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean;
  /** Detaches every open terminal. */
  close(): void;
  /** Open terminals, for tests and status. */
  count(): number;
} {
  const { manager, logger } = deps;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const open = new Set<TerminalConnection>();

  async function connect(id: string, ws: WebSocket, cols: number, rows: number): Promise<TerminalConnection> {
    return manager.openTerminal(id, {
      cols,
      rows,
      onData(data) {
        if (ws.readyState === ws.OPEN) ws.send(data, { binary: true });
      },
      onExit({ reason }) {
        if (ws.readyState === ws.OPEN) ws.close(1000, closeReason(reason));
      },
    });
  }

  function attach(ws: WebSocket, id: string, url: URL): void {
    const cols = clamp(url.searchParams.get('cols'), 10, 500, 100);
    const rows = clamp(url.searchParams.get('rows'), 4, 200, 30);
    let bridge: TerminalConnection | undefined;
    let closed = false;
    const pending: string[] = [];
    ws.on('message', (raw: RawData, isBinary: boolean) => {
      let msg: { type?: string; data?: unknown; cols?: unknown; rows?: unknown };
      try {
        msg = JSON.parse(isBinary ? Buffer.from(raw as Buffer).toString('utf8') : raw.toString()) as typeof msg;
      } catch {
        return;
      }
      try {
        if (msg.type === 'input' && typeof msg.data === 'string') {
          if (bridge) bridge.write(msg.data);
          else pending.push(msg.data);
        } else if (msg.type === 'resize') {
          bridge?.resize(clamp(msg.cols, 10, 500, cols), clamp(msg.rows, 4, 200, rows));
        }
      } catch (error) {
        logger.debug({ session: id, err: describeError(error) }, 'terminal input failed');
      }
    });
    ws.on('close', () => {
      closed = true;
      if (bridge) {
        bridge.close();
        open.delete(bridge);
      }
    });
    void (async () => {
      try {
        const b = await connect(id, ws, cols, rows);
        if (closed) {
          b.close();
          return;
        }
        bridge = b;
        open.add(b);
        for (const data of pending.splice(0)) b.write(data);
      } catch (error) {
        const message = describeError(error);
        logger.info({ session: id, err: message }, 'web terminal not attached');
        if (ws.readyState === ws.OPEN) {
          ws.send(JSON.stringify({ type: 'error', message }));
          ws.close(4000, closeReason(message));
        }
      }
    })();
  }

  return {
    upgrade(req, socket, head, url) {
      const m = PATH.exec(url.pathname);
      if (!m) return false;
      wss.handleUpgrade(req, socket, head, (ws) => attach(ws, m[1] as string, url));
      return true;
    },
    close() {
      for (const b of open) b.close();
      open.clear();
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
    count: () => open.size,
  };
}
