/**
 * The process runtime's terminal stream (`Runtime.openTerminal`), over a WebSocket on the
 * daemon's port, so any ao process (the daemon's web terminal as much as a CLI) reaches the pty
 * the same way as for every other call:
 *
 *   GET /api/pty/:id/terminal?cols=&rows=   (upgrade; after the daemon's Host/Origin/token checks)
 *
 * Server to client: binary frames of output, the pty's output tail first (the screen so far),
 * then live output; the socket closes with code 1000 and a one-line reason when the program
 * exits or is stopped. Client to server: binary frames are keystrokes; text frames are JSON
 * `{ "type": "resize", "cols", "rows" }`. An unknown pty is refused with 404, one whose program
 * is not running with 409, both with the daemon's `{ error: { code, message } }` body.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  AoError,
  describeError,
  readDaemonInfo,
  type AoPaths,
  type DaemonUpgradeHandler,
  type Logger,
  type TerminalConnection,
  type TerminalOpenOptions,
} from '@ao/core/plugin';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { PtyHost } from './host.js';

const PATH = /^\/api\/pty\/([^/]+)\/terminal\/?$/;
/** Close reasons are limited to 123 bytes by the WebSocket protocol. */
const reasonOf = (text: string): string => Buffer.from(text, 'utf8').subarray(0, 120).toString('utf8').replace(/\uFFFD+$/, '');

const clamp = (raw: string | null, min: number, max: number, fallback: number): number => {
  const n = Number.parseInt(raw ?? '', 10);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
};

function refuse(socket: Duplex, status: number, reason: string, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** The daemon side: the upgrade handler `configureDaemon` registers, and `close` for shutdown. */
export function createPtyTerminalServer(host: PtyHost, logger: Logger): { upgrade: DaemonUpgradeHandler; close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });

  const bridge = (ws: WebSocket, id: string, cols: number, rows: number): void => {
    const toViewer = (data: string): void => {
      if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.from(data, 'utf8'), { binary: true });
    };
    // The program may have exited between the upgrade's check and now.
    if (!host.alive(id)) {
      ws.close(1000, reasonOf(`the program in pty "${id}" is not running`));
      return;
    }
    host.resize(id, cols, rows);
    // Tail and subscription in one turn of the event loop: no output falls between them.
    toViewer(host.output(id));
    const offOutput = host.onOutput(id, toViewer);
    const offExit = host.onExit(id, (info) => {
      const how = info.signal ? `was ended by signal ${info.signal}` : `exited with code ${info.exitCode ?? 'unknown'}`;
      if (ws.readyState === WebSocket.OPEN) ws.close(1000, reasonOf(`the program ${how}`));
    });
    ws.on('message', (raw: RawData, isBinary: boolean) => {
      try {
        const bytes = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
        if (isBinary) {
          host.write(id, bytes.toString('utf8'));
          return;
        }
        const msg = JSON.parse(bytes.toString('utf8')) as { type?: unknown; cols?: unknown; rows?: unknown };
        if (msg.type === 'resize') host.resize(id, clamp(String(msg.cols), 2, 1000, cols), clamp(String(msg.rows), 2, 500, rows));
      } catch (error) {
        logger.debug({ id, err: describeError(error) }, 'pty terminal input failed');
      }
    });
    ws.on('close', () => {
      offOutput();
      offExit();
    });
  };

  return {
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean {
      const m = PATH.exec(url.pathname);
      if (!m) return false;
      let id: string;
      try {
        id = decodeURIComponent(m[1] as string);
      } catch {
        refuse(socket, 400, 'Bad Request', 'BAD_REQUEST', `bad pty id in ${url.pathname}`);
        return true;
      }
      const info = host.info(id);
      if (!info) {
        refuse(socket, 404, 'Not Found', 'RUNTIME_FAILED', `no pty "${id}" in the ao daemon (it was stopped or never started)`);
        return true;
      }
      if (!info.alive) {
        refuse(socket, 409, 'Conflict', 'RUNTIME_FAILED', `the program in pty "${id}" is not running (exit code ${info.exitCode ?? 'unknown'})`);
        return true;
      }
      const cols = clamp(url.searchParams.get('cols'), 2, 1000, 100);
      const rows = clamp(url.searchParams.get('rows'), 2, 500, 30);
      wss.handleUpgrade(req, socket, head, (ws) => bridge(ws, id, cols, rows));
      return true;
    },
    close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };
}

const NO_DAEMON = 'the process runtime needs the ao daemon: run `ao start` (or install tmux and use runtime: tmux)';

/** The client side: attaches to pty `id` in the daemon named by `paths`' daemon.json. */
export function openPtyTerminal(paths: AoPaths, id: string, options: TerminalOpenOptions): Promise<TerminalConnection> {
  const daemon = readDaemonInfo(paths);
  if (!daemon) return Promise.reject(new AoError('RUNTIME_FAILED', `cannot open the terminal of ${id}: ${NO_DAEMON}`, { details: { reason: 'DAEMON_UNAVAILABLE' } }));
  const url = new URL(`/api/pty/${encodeURIComponent(id)}/terminal`, daemon.url);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('cols', String(options.cols));
  url.searchParams.set('rows', String(options.rows));
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${daemon.token}` }, handshakeTimeout: 10_000, maxPayload: 16 * 1024 * 1024 });
  let attached = false;
  let closed = false;

  return new Promise<TerminalConnection>((resolve, reject) => {
    const fail = (message: string, cause?: unknown): void => {
      closed = true;
      reject(new AoError('RUNTIME_FAILED', `cannot open the terminal of ${id}: ${message}`, { ...(cause === undefined ? {} : { cause }) }));
    };
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let message = `the ao daemon answered HTTP ${res.statusCode ?? '?'}`;
        try {
          message = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { message?: string } }).error?.message ?? message;
        } catch {
          // not our JSON: keep the status
        }
        const gone = res.statusCode === 404 || res.statusCode === 409;
        fail(gone ? `${message}; restore it with \`ao session restore\`` : message);
        ws.terminate();
      });
    });
    ws.on('error', (error) => {
      if (!attached) fail(`could not reach the ao daemon at ${daemon.url}: ${error.message}`, error);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (closed || !isBinary) return;
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      options.onData(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    });
    ws.on('close', (_code, reason) => {
      if (!attached || closed) return;
      closed = true;
      options.onExit({ reason: reason.toString('utf8') || 'the connection to the ao daemon closed' });
    });
    ws.on('open', () => {
      attached = true;
      resolve({
        write(data) {
          if (!closed && ws.readyState === WebSocket.OPEN) ws.send(typeof data === 'string' ? Buffer.from(data, 'utf8') : data, { binary: true });
        },
        resize(cols, rows) {
          if (!closed && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'resize', cols, rows }));
        },
        close() {
          if (closed) return;
          closed = true;
          ws.close(1000, 'detached');
        },
      });
    });
  });
}
