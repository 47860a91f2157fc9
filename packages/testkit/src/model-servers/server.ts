/**
 * The part every scripted model server shares: a real HTTP server on 127.0.0.1 that parses each
 * request into a protocol-neutral `ModelTurn`, asks the test's script what the model says, and
 * streams the answer back in the protocol's own wire format (see `anthropic.ts`, `responses.ts`,
 * `chat-completions.ts`). These stand in for a paid API, so a real agent CLI can be run against them.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A JSON object as the wire formats carry it. */
export type Obj = Record<string, unknown>;

/** A tool call the scripted model makes; `input` is the tool's JSON arguments. */
export interface ScriptedToolCall {
  name: string;
  input: Record<string, unknown>;
}

/** What the model says in one response: text, tool calls, or both (text first). */
export interface ScriptedReply {
  text?: string;
  toolCalls?: ScriptedToolCall[];
  /** Answer only once this resolves: the model is still "thinking" (the agent is busy) until then. */
  after?: Promise<unknown>;
}

/** One tool result the agent sent back in this request. */
export interface ToolResult {
  callId: string;
  /** The result as text (content blocks joined). */
  output: string;
  /** The agent marked it as an error (a denied permission usually is). */
  isError: boolean;
}

/** One model request, reduced to what a script needs to decide its answer. */
export interface ModelTurn {
  /** The request path, e.g. `/v1/messages`. */
  path: string;
  /** The model the agent asked for. */
  model: string;
  /** Names of the tools the agent offered; empty for side requests (titles, summaries). */
  tools: string[];
  /** The text of the last user message that is not only tool results ('' if none). */
  lastUserText: string;
  /** User text sent since the model last spoke: what the human (or ao) just typed ('' if none). */
  newUserText: string;
  /** Tool results at the end of the conversation (the answer to the previous tool calls). */
  toolResults: ToolResult[];
  /** Number of model requests this server answered before this one (all kinds). */
  index: number;
  /** The parsed request body. */
  body: Record<string, unknown>;
}

/** Decides the model's answer to one request. */
export type ModelScript = (turn: ModelTurn) => ScriptedReply;

export interface ModelServer {
  /** `http://127.0.0.1:<port>` (no path): the base URL to give the agent CLI. */
  readonly url: string;
  /** Every model request answered so far, in order. */
  readonly turns: readonly ModelTurn[];
  /** Every request received (any path), for diagnosing a CLI that calls something unexpected. */
  readonly requests: readonly { method: string; path: string }[];
  /** Resolves when a turn matching `predicate` has been answered; rejects after `timeoutMs` (default 60 s). */
  waitForTurn(predicate: (turn: ModelTurn) => boolean, timeoutMs?: number): Promise<ModelTurn>;
  close(): Promise<void>;
}

/** A side request a protocol answers with a JSON body (token counting, model lists). */
export interface ModelSideRoute {
  method: 'GET' | 'POST';
  path: RegExp;
  answer(body: Record<string, unknown>): unknown;
}

/** How a protocol plugs into the shared server. */
export interface ModelProtocol {
  /** The path of its model requests (always POSTed). */
  path: RegExp;
  parse(path: string, body: Record<string, unknown>, index: number): ModelTurn;
  /** Writes the reply (streamed when the request asked for it). */
  write(res: ServerResponse, turn: ModelTurn, reply: ScriptedReply): void;
  /** Other requests it answers with `200` and JSON; anything else is a 404. */
  routes?: ModelSideRoute[];
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Writes one server-sent event; `event` is omitted for protocols that only use `data:`. */
export function sse(res: ServerResponse, data: unknown, event?: string): void {
  res.write(`${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
}

export function startSse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** A rough token count (4 characters a token), so usage fields carry plausible numbers. */
export function roughTokens(value: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(value ?? '').length / 4));
}

let idCounter = 0;
/** A short unique id with a prefix, e.g. `toolu_1a`. */
export function nextId(prefix: string): string {
  idCounter += 1;
  return `${prefix}${Date.now().toString(36)}${idCounter.toString(36)}`;
}

export async function startModelServer(protocol: ModelProtocol, script: ModelScript): Promise<ModelServer> {
  const turns: ModelTurn[] = [];
  const requests: { method: string; path: string }[] = [];
  const waiters = new Set<{ predicate: (t: ModelTurn) => boolean; resolve: (t: ModelTurn) => void }>();
  const server = createServer((req, res) => {
    void (async () => {
      const method = req.method ?? 'GET';
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      requests.push({ method, path });
      const text = await readBody(req);
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : {};
      } catch {
        body = undefined;
      }
      const record = body && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
      if (method === 'POST' && protocol.path.test(path) && record) {
        const turn = protocol.parse(path, record, turns.length);
        const reply = script(turn);
        turns.push(turn);
        if (reply.after) await reply.after;
        protocol.write(res, turn, reply);
        for (const w of [...waiters]) {
          if (w.predicate(turn)) {
            waiters.delete(w);
            w.resolve(turn);
          }
        }
        return;
      }
      const side = protocol.routes?.find((r) => r.method === method && r.path.test(path));
      if (side) return json(res, 200, side.answer(record ?? {}));
      json(res, 404, { error: { type: 'not_found_error', message: `scripted model server: no route for ${method} ${path}` } });
    })().catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: { type: 'api_error', message: String(error) } });
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    turns,
    requests,
    waitForTurn(predicate, timeoutMs = 60_000) {
      const seen = turns.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (t: ModelTurn) => {
            clearTimeout(timer);
            resolve(t);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`scripted model server: no matching request within ${timeoutMs} ms (${turns.length} answered)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Text of a message `content` in any of the three protocols' shapes (string or parts). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => {
      if (typeof part === 'string') return part;
      const p = part as Record<string, unknown>;
      if (typeof p.text === 'string') return p.text;
      if (p.content !== undefined) return contentText(p.content);
      return '';
    })
    .join('\n');
}
