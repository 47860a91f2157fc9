import type { IncomingMessage, ServerResponse } from 'node:http';
import { reviewSession, type LineComment, type ResolvedConfig, type SessionManager, type SessionStore } from '@ao/core';
import type { EventHub } from './events.js';
import { BadRequest, optionalString, readJsonBody, sendJson } from './http.js';

/** The parts of the lifecycle the API uses (see @ao/core lifecycle). */
export interface LifecycleControl {
  trigger(reason: string): void;
}

/** The parts of the approval queue the API uses; absent when the build has no approvals yet. */
export interface ApprovalsControl {
  list(): Promise<unknown>;
  approve(id: string, message?: string): Promise<unknown>;
  reject(id: string, message?: string): Promise<unknown>;
}

export interface ApiDeps {
  manager: SessionManager;
  config: ResolvedConfig;
  store: SessionStore;
  lifecycle: LifecycleControl;
  approvals: ApprovalsControl;
  events: EventHub;
  /** `GET /api/status` body. */
  status(): Promise<unknown>;
  health(): unknown;
  /** Where the daemon was started: picks the project of a spawn without `project`. */
  cwd: string;
}

type Handler = (ctx: { req: IncomingMessage; res: ServerResponse; url: URL; params: string[] }) => Promise<void>;
interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

const ID = '([A-Za-z0-9][A-Za-z0-9._-]*)';
const REVIEW_DECISIONS = { approve: 'approved', 'request-changes': 'changes_requested' } as const;

/** `comments: [{ path, line, body }]` of a review body; anything else is a 400 saying what was expected. */
function lineComments(value: unknown): LineComment[] {
  if (value === undefined) return [];
  const expected = 'comments must be a list of { "path": string, "line": number, "body": string }';
  if (!Array.isArray(value)) throw new BadRequest(expected);
  return value.map((c: unknown) => {
    const { path, line, body } = (c ?? {}) as Record<string, unknown>;
    if (typeof path !== 'string' || typeof line !== 'number' || typeof body !== 'string') throw new BadRequest(expected);
    return { path, line, body };
  });
}

/**
 * The HTTP API routes (auth is checked before these run). Every mutation goes through the
 * SessionManager — the same path as the CLI — and then asks the lifecycle for a poll, so the
 * daemon reacts to it at once instead of on its next tick.
 */
export function createApiRoutes(deps: ApiDeps): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> {
  const { manager, store, lifecycle } = deps;
  const mutated = (reason: string): void => {
    try {
      lifecycle.trigger(reason);
    } catch {
      // a poll request is a hint; never fail the mutation over it
    }
  };

  const routes: Route[] = [
    { method: 'GET', pattern: /^\/health$/, handler: async ({ res }) => sendJson(res, 200, deps.health()) },
    { method: 'GET', pattern: /^\/api\/status$/, handler: async ({ res }) => sendJson(res, 200, await deps.status()) },
    {
      method: 'GET',
      pattern: /^\/api\/sessions$/,
      handler: async ({ res, url }) => {
        const project = url.searchParams.get('project') ?? undefined;
        sendJson(res, 200, await manager.list(project ? { project } : {}));
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/sessions$/,
      handler: async ({ req, res }) => {
        const body = await readJsonBody(req);
        const issue = optionalString(body, 'issue');
        const prompt = optionalString(body, 'prompt');
        const agent = optionalString(body, 'agent');
        const project = optionalString(body, 'project');
        const rawPriority = (body as { priority?: unknown } | undefined)?.priority;
        if (rawPriority !== undefined && (typeof rawPriority !== 'number' || !Number.isInteger(rawPriority) || rawPriority < 1 || rawPriority > 10)) {
          throw new BadRequest('"priority" must be an integer from 1 (lowest) to 10 (highest)');
        }
        const session = await manager.spawn({
          ...(rawPriority !== undefined ? { priority: rawPriority as number } : {}),
          ...(issue ? { issue } : {}),
          ...(prompt !== undefined ? { prompt } : {}),
          ...(agent ? { agent } : {}),
          ...(project ? { project } : {}),
          cwd: deps.cwd,
        });
        mutated(`spawn ${session.id}`);
        sendJson(res, 201, session);
      },
    },
    { method: 'GET', pattern: new RegExp(`^/api/sessions/${ID}$`), handler: async ({ res, params }) => sendJson(res, 200, await manager.get(params[0] as string)) },
    {
      method: 'GET',
      pattern: new RegExp(`^/api/sessions/${ID}/events$`),
      handler: async ({ res, params }) => {
        const session = await manager.get(params[0] as string);
        sendJson(res, 200, await store.readLog(session.project, session.id));
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/api/sessions/${ID}/send$`),
      handler: async ({ req, res, params }) => {
        const body = await readJsonBody(req);
        const keys = (body as { keys?: unknown } | undefined)?.keys;
        if (keys !== undefined) {
          // Raw keys for menus and dialogs, as `ao send --keys`: no Enter added.
          if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'string')) throw new BadRequest('"keys" must be a non-empty array of key names or single characters');
          const session = await manager.sendKeys(params[0] as string, keys as string[]);
          mutated(`send ${session.id}`);
          sendJson(res, 200, session);
          return;
        }
        const message = optionalString(body, 'message');
        if (!message?.trim()) throw new BadRequest('Nothing to send: give {"message": "..."} or {"keys": ["Down", "Enter"]}');
        // While the agent waits on a menu, the message is the answer (core selects or refuses it).
        const session = await manager.send(params[0] as string, message);
        mutated(`send ${session.id}`);
        sendJson(res, 200, session);
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/api/sessions/${ID}/kill$`),
      handler: async ({ res, params }) => {
        const result = await manager.kill(params[0] as string);
        mutated(`kill ${result.session.id}`);
        sendJson(res, 200, result);
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/api/sessions/${ID}/restore$`),
      handler: async ({ res, params }) => {
        const session = await manager.restore(params[0] as string);
        mutated(`restore ${session.id}`);
        sendJson(res, 200, session);
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/api/sessions/${ID}/review$`),
      handler: async ({ req, res, params }) => {
        const body = await readJsonBody(req);
        const decision = REVIEW_DECISIONS[String(body.decision) as keyof typeof REVIEW_DECISIONS];
        if (!decision) throw new BadRequest('decision must be "approve" or "request-changes"');
        const message = optionalString(body, 'message');
        const comments = lineComments(body.comments);
        const result = await reviewSession({ manager, config: deps.config }, params[0] as string, {
          decision,
          ...(message ? { body: message } : {}),
          ...(comments.length ? { comments } : {}),
        });
        mutated(`review ${params[0] as string}`);
        sendJson(res, 200, result);
      },
    },
    { method: 'GET', pattern: /^\/api\/approvals$/, handler: async ({ res }) => sendJson(res, 200, await deps.approvals.list()) },
    {
      method: 'POST',
      pattern: new RegExp(`^/api/approvals/${ID}/(approve|reject)$`),
      handler: async ({ req, res, params }) => {
        const message = optionalString(await readJsonBody(req), 'message');
        const [id, verb] = params as [string, 'approve' | 'reject'];
        const result = verb === 'approve' ? await deps.approvals.approve(id, message) : await deps.approvals.reject(id, message);
        mutated(`${verb} ${id}`);
        sendJson(res, 200, result);
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/lifecycle\/poll$/,
      handler: async ({ req, res }) => {
        mutated(optionalString(await readJsonBody(req), 'reason') ?? 'api');
        sendJson(res, 202, { triggered: true });
      },
    },
    { method: 'GET', pattern: /^\/api\/events$/, handler: async ({ req, res }) => streamEvents(deps.events, req, res) },
  ];

  return async (req, res, url) => {
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    let pathMatched = false;
    for (const route of routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== req.method) continue;
      await route.handler({ req, res, url, params: m.slice(1) });
      return true;
    }
    if (pathMatched) {
      sendJson(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: `${req.method ?? '?'} is not allowed on ${path}` } });
      return true;
    }
    return false;
  };
}

/**
 * Server-Sent Events: one `session` event per appended session event, as
 * `{ sessionId, project, event }`, and a comment line every 15 s so proxies keep the stream open.
 */
async function streamEvents(hub: EventHub, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  // Subscribed before the first byte, so a client that saw `: connected` misses nothing after it.
  const unsubscribe = hub.subscribe((message) => {
    res.write(`event: session\ndata: ${JSON.stringify(message)}\n\n`);
  });
  res.write(': connected\n\n');
  const heartbeat = setInterval(() => res.write(': ping\n\n'), 15_000);
  heartbeat.unref();
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearInterval(heartbeat);
      unsubscribe();
      resolve();
    };
    req.once('close', done);
    res.once('close', done);
  });
}
