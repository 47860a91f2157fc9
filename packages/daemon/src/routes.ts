import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  AoError,
  createRouter,
  reviewSession,
  route,
  z,
  type LineComment,
  type ResolvedConfig,
  type Route,
  type Router,
  type RouterOptions,
  type SessionManager,
  type SessionStore,
} from '@ao/core';
import type { EventHub } from './events.js';

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

const REVIEW_DECISIONS = { approve: 'approved', 'request-changes': 'changes_requested' } as const;

/** A string field that may also come as a number (an issue number) or null (absent). */
const text = z.union([z.string(), z.number().transform(String)]).nullish().transform((v) => v ?? undefined);
const PRIORITY = 'must be an integer from 1 (lowest) to 10 (highest)';

/** `POST /api/sessions`: what `ao spawn` takes. */
export const spawnBodySchema = z
  .object({
    issue: text,
    prompt: text,
    agent: text,
    project: text,
    priority: z.number({ invalid_type_error: PRIORITY }).int(PRIORITY).min(1, PRIORITY).max(10, PRIORITY).optional(),
  })
  .strict();

/** `POST /api/sessions/:id/send`: a message (the answer, while the agent waits on a menu), or raw keys as `ao send --keys`. */
export const sendBodySchema = z
  .object({ message: text, keys: z.array(z.string(), { invalid_type_error: 'must be a list of key names or single characters' }).nonempty().optional() })
  .strict();

/** `POST /api/sessions/:id/review`. */
export const reviewBodySchema = z
  .object({
    decision: z.enum(['approve', 'request-changes']),
    message: text,
    comments: z.array(z.object({ path: z.string(), line: z.number(), body: z.string() })).optional(),
  })
  .strict();

const messageBodySchema = z.object({ message: text }).strict();
const pollBodySchema = z.object({ reason: text }).strict();

/**
 * The HTTP API routes (auth is checked before these run), on core's router. Every mutation goes
 * through the SessionManager — the same path as the CLI — and then asks the lifecycle for a poll,
 * so the daemon reacts to it at once instead of on its next tick.
 */
export function createApiRoutes(deps: ApiDeps, options: Pick<RouterOptions, 'onError'> = {}): Router {
  const { manager, store, lifecycle } = deps;
  const mutated = (reason: string): void => {
    try {
      lifecycle.trigger(reason);
    } catch {
      // a poll request is a hint; never fail the mutation over it
    }
  };
  const decide = (verb: 'approve' | 'reject'): Route =>
    route({
      method: 'POST',
      path: `/api/approvals/:id/${verb}`,
      body: messageBodySchema,
      handler: async ({ params, body }) => {
        const id = params.id as string;
        const result = verb === 'approve' ? await deps.approvals.approve(id, body.message) : await deps.approvals.reject(id, body.message);
        mutated(`${verb} ${id}`);
        return result;
      },
    });

  return createRouter(
    [
      route({ method: 'GET', path: '/health', handler: () => deps.health() }),
      route({ method: 'GET', path: '/api/status', handler: () => deps.status() }),
      route({
        method: 'GET',
        path: '/api/sessions',
        query: z.object({ project: z.string().optional() }),
        handler: ({ query }) => manager.list(query.project ? { project: query.project } : {}),
      }),
      route({
        method: 'POST',
        path: '/api/sessions',
        status: 201,
        body: spawnBodySchema,
        handler: async ({ body }) => {
          const session = await manager.spawn({
            ...(body.priority !== undefined ? { priority: body.priority } : {}),
            ...(body.issue ? { issue: body.issue } : {}),
            ...(body.prompt !== undefined ? { prompt: body.prompt } : {}),
            ...(body.agent ? { agent: body.agent } : {}),
            ...(body.project ? { project: body.project } : {}),
            cwd: deps.cwd,
          });
          mutated(`spawn ${session.id}`);
          return session;
        },
      }),
      route({ method: 'GET', path: '/api/sessions/:id', handler: ({ params }) => manager.get(params.id as string) }),
      route({
        method: 'GET',
        path: '/api/sessions/:id/events',
        handler: async ({ params }) => {
          const session = await manager.get(params.id as string);
          return store.readLog(session.project, session.id);
        },
      }),
      route({
        method: 'POST',
        path: '/api/sessions/:id/send',
        body: sendBodySchema,
        handler: async ({ params, body }) => {
          const id = params.id as string;
          if (body.keys) {
            // Raw keys for menus and dialogs, as `ao send --keys`: no Enter added.
            const session = await manager.sendKeys(id, body.keys);
            mutated(`send ${session.id}`);
            return session;
          }
          if (!body.message?.trim()) throw new AoError('USAGE', 'Nothing to send: give {"message": "..."} or {"keys": ["Down", "Enter"]}');
          // While the agent waits on a menu, the message is the answer (core selects or refuses it).
          const session = await manager.send(id, body.message);
          mutated(`send ${session.id}`);
          return session;
        },
      }),
      route({
        method: 'POST',
        path: '/api/sessions/:id/kill',
        handler: async ({ params }) => {
          const result = await manager.kill(params.id as string);
          mutated(`kill ${result.session.id}`);
          return result;
        },
      }),
      route({
        method: 'POST',
        path: '/api/sessions/:id/restore',
        handler: async ({ params }) => {
          const session = await manager.restore(params.id as string);
          mutated(`restore ${session.id}`);
          return session;
        },
      }),
      route({
        method: 'POST',
        path: '/api/sessions/:id/review',
        body: reviewBodySchema,
        handler: async ({ params, body }) => {
          const id = params.id as string;
          const comments: LineComment[] = body.comments ?? [];
          const result = await reviewSession({ manager, config: deps.config }, id, {
            decision: REVIEW_DECISIONS[body.decision],
            ...(body.message ? { body: body.message } : {}),
            ...(comments.length ? { comments } : {}),
          });
          mutated(`review ${id}`);
          return result;
        },
      }),
      route({ method: 'GET', path: '/api/approvals', handler: () => deps.approvals.list() }),
      decide('approve'),
      decide('reject'),
      route({
        method: 'POST',
        path: '/api/lifecycle/poll',
        status: 202,
        body: pollBodySchema,
        handler: ({ body }) => {
          mutated(body.reason ?? 'api');
          return { triggered: true };
        },
      }),
      route({ method: 'GET', path: '/api/events', handler: ({ req, res }) => streamEvents(deps.events, req, res) }),
    ],
    options,
  );
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
