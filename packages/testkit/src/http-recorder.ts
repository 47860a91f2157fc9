/**
 * A real HTTP server on 127.0.0.1 that records every request and answers as scripted: fail the
 * next N requests, answer with a given status and headers (`Retry-After`), stall past a client's
 * timeout, or drop the connection. For testing anything that talks HTTP (webhook and Slack
 * notifiers, fake APIs) without a network or a mock of `fetch`.
 *
 *   const server = await startHttpRecorder();
 *   server.failNext(2, { status: 503 });
 *   await notifier.notify(...);            // posts to server.url
 *   expect(server.requests).toHaveLength(3);
 *   await server.close();
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/hooks/abc?x=1`. */
  path: string;
  /** Lower-cased header names, as Node delivers them. */
  headers: IncomingHttpHeaders;
  /** The raw body as text (UTF-8). */
  body: string;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  json: unknown;
  /** 1-based position among all requests the recorder received. */
  index: number;
}

/** How the recorder answers one request. Everything is optional: the default is `200 ok`. */
export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering (to trip a client's timeout). */
  delayMs?: number;
  /** Destroy the socket instead of answering (a network error for the client). */
  drop?: boolean;
}

export interface HttpRecorder {
  /** `http://127.0.0.1:<port>` — append any path. */
  readonly url: string;
  /** Every request received so far, in arrival order (also dropped and delayed ones). */
  readonly requests: readonly RecordedRequest[];
  /** Queues responses used one per request, in order, before falling back to the default. */
  respond(...responses: ScriptedResponse[]): void;
  /** Queues `count` copies of `response` (default `503`). */
  failNext(count: number, response?: ScriptedResponse): void;
  /** The response used when the queue is empty. */
  setDefault(response: ScriptedResponse): void;
  /** Resolves once at least `count` requests arrived; rejects after `timeoutMs` (default 5000). */
  waitForRequests(count: number, timeoutMs?: number): Promise<readonly RecordedRequest[]>;
  /** Forgets recorded requests and queued responses. */
  reset(): void;
  /** Stops the server, cancels delayed answers and closes open connections. Safe to call twice. */
  close(): Promise<void>;
}

export async function startHttpRecorder(options: { defaultResponse?: ScriptedResponse } = {}): Promise<HttpRecorder> {
  const requests: RecordedRequest[] = [];
  const queue: ScriptedResponse[] = [];
  let fallback: ScriptedResponse = options.defaultResponse ?? { status: 200, body: 'ok' };
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<() => void>();
  let closing: Promise<void> | undefined;

  const answer = (res: ServerResponse, scripted: ScriptedResponse): void => {
    if (res.destroyed) return;
    if (scripted.drop) {
      res.socket?.destroy();
      return;
    }
    res.writeHead(scripted.status ?? 200, { 'content-type': 'text/plain', ...scripted.headers });
    res.end(scripted.body ?? '');
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body, json, index: requests.length + 1 });
      for (const wake of [...waiters]) wake();
      const scripted = queue.shift() ?? fallback;
      if (scripted.delayMs && scripted.delayMs > 0) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          answer(res, scripted);
        }, scripted.delayMs);
        timers.add(timer);
      } else {
        answer(res, scripted);
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond: (...responses) => void queue.push(...responses),
    failNext: (count, response = { status: 503, body: 'unavailable' }) => {
      for (let i = 0; i < count; i++) queue.push(response);
    },
    setDefault: (response) => {
      fallback = response;
    },
    waitForRequests(count, timeoutMs = 5000) {
      if (requests.length >= count) return Promise.resolve(requests);
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (requests.length < count) return;
          cleanup();
          resolve(requests);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`expected ${count} requests within ${timeoutMs} ms, got ${requests.length}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
      });
    },
    reset: () => {
      requests.length = 0;
      queue.length = 0;
    },
    close: () => {
      // Idempotent, so a test may close early and its afterEach close again.
      closing ??= new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
