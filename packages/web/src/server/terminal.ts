/**
 * The web terminal: xterm.js in the page, attached over a WebSocket on the daemon's own port at
 * `/api/sessions/:id/terminal?cols=&rows=`. Output goes to the page as binary frames; the page
 * sends JSON text frames `{ "type": "input", "data" }` and `{ "type": "resize", "cols", "rows" }`.
 *
 * A tmux session gets its own `tmux attach-session` client in a pty (closing the page detaches
 * that client, never the session). A process-runtime session is bridged to the daemon's pty host:
 * its output tail is replayed first, then live output follows.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { describeError, type Logger, type Session, type SessionManager } from '@ao/core';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { attachArgv } from '@ao/plugin-runtime-tmux';

/** The parts of the daemon's pty host (@ao/plugin-runtime-process) a terminal needs. */
export interface TerminalPtyHost {
  write(id: string, data: string): void;
  resize(id: string, cols: number, rows: number): void;
  output(id: string): string;
  onOutput(id: string, listener: (data: string) => void): () => void;
  alive(id: string): boolean;
}

export interface TerminalServerDeps {
  manager: SessionManager;
  logger: Logger;
  ptyHost?: TerminalPtyHost;
}

/** One attached terminal, whatever is behind it. */
interface Bridge {
  write(data: string): void;
  resize(cols: number, rows: number): void;
  close(): void;
}

const PATH = /^\/api\/sessions\/([A-Za-z0-9][A-Za-z0-9._-]*)\/terminal\/?$/;
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
  const open = new Set<Bridge>();

  async function bridgeFor(session: Session, ws: WebSocket, cols: number, rows: number): Promise<Bridge> {
    const handle = session.runtime;
    if (!handle) throw new Error(`session ${session.id} has no terminal (it never started)`);
    const toPage = (data: string): void => {
      if (ws.readyState === ws.OPEN) ws.send(Buffer.from(data, 'utf8'), { binary: true });
    };
    if (handle.runtime === 'process') {
      const host = deps.ptyHost;
      if (!host) throw new Error('this daemon hosts no process terminals');
      if (!host.alive(handle.id)) {
        toPage(host.output(handle.id));
        throw new Error(`the agent of ${session.id} is not running: restore it first`);
      }
      host.resize(handle.id, cols, rows);
      toPage(host.output(handle.id));
      const off = host.onOutput(handle.id, toPage);
      return {
        write: (data) => host.write(handle.id, data),
        resize: (c, r) => host.resize(handle.id, c, r),
        close: off,
      };
    }
    if (handle.runtime === 'tmux') {
      const pty = await import('node-pty');
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'TMUX' && k !== 'TMUX_PANE') env[k] = v;
      env.TERM = 'xterm-256color';
      // The pty is a fresh terminal, never inside tmux: always attach (not switch-client).
      const [file, ...args] = attachArgv(handle.id) as [string, ...string[]];
      const term = pty.spawn(file, args, { name: 'xterm-256color', cols, rows, cwd: process.cwd(), env });
      term.onData(toPage);
      term.onExit(({ exitCode }) => {
        if (ws.readyState === ws.OPEN) ws.close(1000, exitCode === 0 ? 'detached' : 'tmux attach ended');
      });
      return {
        write: (data) => term.write(data),
        resize: (c, r) => term.resize(c, r),
        close: () => {
          try {
            term.kill();
          } catch {
            // already exited
          }
        },
      };
    }
    throw new Error(`the ${handle.runtime} runtime has no web terminal`);
  }

  function attach(ws: WebSocket, id: string, url: URL): void {
    const cols = clamp(url.searchParams.get('cols'), 10, 500, 100);
    const rows = clamp(url.searchParams.get('rows'), 4, 200, 30);
    let bridge: Bridge | undefined;
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
        const session = await manager.get(id);
        const b = await bridgeFor(session, ws, cols, rows);
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
          ws.close(4000, message.slice(0, 120));
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
