/**
 * The one HTTP router of ao, for every server ao runs on node:http: the daemon's API, the
 * dashboard's read routes, and routes plugins add to the daemon (`configureDaemon`). Routes are
 * plain records — method, a path with `:params`, zod schemas for the body and the query — and
 * every error, whoever raised it, is answered the same way: `{ error: { code, message } }` with
 * the HTTP status that belongs to the `AoError` code (`statusForCode`). The daemon's Host, Origin,
 * token and Content-Type checks run before any router (see the daemon's request-guard.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { AoError, isAoError, type ErrorCode } from './errors.js';
import { formatIssues } from './sessions/event-log.js';

/** The body of every error response. */
export interface HttpErrorBody {
  error: { code: string; message: string };
}

/** Largest JSON body a route reads unless the router is told otherwise. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

/**
 * HTTP status for an `AoError` code: not found → 404, bad input → 400, wrong state → 409, the
 * daemon going away → 503, anything else → 500. The one table: a route throws the code, never a status.
 */
export function statusForCode(code: ErrorCode | string): number {
  if (code.endsWith('_NOT_FOUND')) return 404;
  if (code === 'USAGE' || code.startsWith('CONFIG_') || code === 'TEMPLATE_INVALID' || code === 'ENV_VAR_UNSET' || code === 'PLAN_INVALID') return 400;
  if (code.endsWith('_STATE') || code === 'SESSION_BUSY' || code === 'SESSION_LIMIT' || code === 'QUEUE_FULL' || code === 'LOCK_TIMEOUT' || code === 'ANSWER_NOT_IN_MENU') return 409;
  if (code === 'DAEMON_UNAVAILABLE') return 503;
  return 500;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** `{ error: { code, message } }`; once the response has started, only ends it. */
export function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, status, { error: { code, message } } satisfies HttpErrorBody, headers);
}

/** Any thrown value as an error response: an `AoError` with its code's status, anything else a 500 `INTERNAL`. */
export function sendThrown(res: ServerResponse, error: unknown): void {
  if (isAoError(error)) sendError(res, statusForCode(error.code), error.code, error.message);
  else sendError(res, 500, 'INTERNAL', error instanceof Error ? error.message : String(error));
}

const usage = (message: string): AoError => new AoError('USAGE', message);

/** The request's JSON body (`{}` when empty), at most `maxBytes`; a `USAGE` error for anything else. */
export async function readJsonBody(req: IncomingMessage, maxBytes = MAX_JSON_BODY_BYTES): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw usage(`Request body is larger than ${maxBytes >= 1024 * 1024 ? `${maxBytes / (1024 * 1024)} MiB` : `${maxBytes} bytes`}`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw usage(`Request body is not JSON: ${(error as Error).message}`);
  }
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteContext<Body, Query> {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The path's `:name` segments, URI-decoded. */
  params: Record<string, string>;
  /** The body as the route's `body` schema parsed it (`undefined` without one: the body is not read). */
  body: Body;
  /** The query string as the route's `query` schema parsed it (`undefined` without one). */
  query: Query;
}

export interface Route<B extends z.ZodTypeAny = z.ZodTypeAny, Q extends z.ZodTypeAny = z.ZodTypeAny> {
  method: HttpMethod;
  /** `/api/sessions/:id/send`: literal segments and `:name` params (one whole segment each). */
  path: string;
  /** Schema of the JSON body; a body it refuses is a 400 `USAGE` naming the field. */
  body?: B;
  /** Schema of the query (`{ name: string }` of the last value of each name). */
  query?: Q;
  /** Status of a successful answer. Default 200. */
  status?: number;
  /**
   * Answers the request: a returned value is sent as JSON with `status`; a handler that writes
   * the response itself (a stream, a text body) returns nothing. A throw is answered as an error.
   */
  handler(ctx: RouteContext<z.output<B>, z.output<Q>>): unknown;
}

/** A route with its types inferred from its schemas (a list of routes has mixed ones). */
export function route<B extends z.ZodTypeAny = z.ZodUndefined, Q extends z.ZodTypeAny = z.ZodUndefined>(definition: Route<B, Q>): Route {
  return definition as unknown as Route;
}

export interface RouterOptions {
  /** Largest body read. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Told of every failed request answered 500 (a bug or an outage, not the caller's mistake), e.g. to log it. */
  onError?(error: unknown, req: IncomingMessage, url: URL): void;
}

export interface Router {
  /**
   * Answers a request whose path is one of the routes' (405 with `Allow` for another method),
   * and resolves true; resolves false, leaving `res` alone, for any other path — so routers and
   * other handlers can be tried in turn.
   */
  handle(req: IncomingMessage, res: ServerResponse, url?: URL): Promise<boolean>;
  /** A complete `http.createServer` listener: `handle`, then 404 `NOT_FOUND` for other paths. */
  listener(req: IncomingMessage, res: ServerResponse): void;
}

interface Compiled {
  route: Route;
  segments: string[];
}

/** `/a/b/` → `['a', 'b']` (a trailing slash is the same path). */
const split = (path: string): string[] => {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? [] : trimmed.split('/');
};

function match(segments: string[], path: string[]): Record<string, string> | undefined {
  if (segments.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const want = segments[i] as string;
    const got = path[i] as string;
    if (want.startsWith(':')) {
      if (got === '') return undefined;
      params[want.slice(1)] = got;
    } else if (want !== got) return undefined;
  }
  return params;
}

function decodeParams(raw: Record<string, string>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    try {
      params[name] = decodeURIComponent(value);
    } catch {
      throw usage(`${name}: "${value}" is not a valid URI component`);
    }
  }
  return params;
}

function parse<S extends z.ZodTypeAny>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw usage(`Invalid ${what}: ${formatIssues(parsed.error.issues)}`);
  return parsed.data as z.output<S>;
}

export function createRouter(routes: readonly Route[], options: RouterOptions = {}): Router {
  const compiled: Compiled[] = routes.map((r) => ({ route: r, segments: split(r.path) }));
  const maxBody = options.maxBodyBytes ?? MAX_JSON_BODY_BYTES;

  const handle = async (req: IncomingMessage, res: ServerResponse, given?: URL): Promise<boolean> => {
    const url = given ?? new URL(req.url ?? '/', 'http://localhost');
    const path = split(url.pathname);
    const method = (req.method ?? 'GET').toUpperCase();
    const allowed: string[] = [];
    let found: { route: Route; params: Record<string, string> } | undefined;
    for (const c of compiled) {
      const params = match(c.segments, path);
      if (!params) continue;
      if (c.route.method === method) {
        found = { route: c.route, params };
        break;
      }
      allowed.push(c.route.method);
    }
    if (!found) {
      if (allowed.length === 0) return false;
      const allow = [...new Set(allowed)].join(', ');
      sendError(res, 405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname}: use ${allow}`, { allow });
      return true;
    }
    const { route: r } = found;
    try {
      const params = decodeParams(found.params);
      const query = r.query ? parse(r.query, Object.fromEntries(url.searchParams), 'query') : undefined;
      const body = r.body ? parse(r.body, await readJsonBody(req, maxBody), 'request body') : undefined;
      const result = await r.handler({ req, res, url, params, body, query });
      if (!res.headersSent && !res.writableEnded) {
        if (result === undefined) res.writeHead(r.status ?? 204).end();
        else sendJson(res, r.status ?? 200, result);
      }
    } catch (error) {
      const status = isAoError(error) ? statusForCode(error.code) : 500;
      if (status >= 500) options.onError?.(error, req, url);
      sendThrown(res, error);
    }
    return true;
  };

  return {
    handle,
    listener(req, res) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      void handle(req, res, url).then((handled) => {
        if (!handled) sendError(res, 404, 'NOT_FOUND', `No route ${req.method ?? 'GET'} ${url.pathname}`);
      });
    },
  };
}
