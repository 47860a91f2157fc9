/**
 * The daemon's `/api/pty` routes over a `PtyHost`, on core's router. The daemon checks the token,
 * then offers every request to the router's `handle`; it answers false for paths that are not its own.
 *
 *   GET  /api/pty                       { ptys: PtyInfo[] }
 *   POST /api/pty                       { sessionId, cwd, argv, env?, cols?, rows? } → { id, pid }
 *   GET  /api/pty/:id                   PtyInfo
 *   POST /api/pty/:id/write             { data }                       → { ok: true }
 *   POST /api/pty/:id/send              { text, submit?, bracketedPaste? } → { ok: true }
 *   POST /api/pty/:id/resize            { cols, rows }                 → { ok: true }
 *   GET  /api/pty/:id/screen?lines=N    { screen }
 *   POST /api/pty/:id/stop                                             → { ok: true }
 *
 * Errors are core's: `{ error: { code, message } }` with the status of the code — 400 `USAGE`
 * (a body or query the schemas refuse, naming the field), 404 `RUNTIME_NOT_FOUND` (unknown id),
 * 405, 409 `RUNTIME_STATE` (not running / already running), 500, 503 (daemon shutting down).
 */
import { AoError, createRouter, route, type Router } from '@ao/core/plugin';
import type { PtyHost } from './host.js';
import { ptyResizeBodySchema, ptyScreenQuerySchema, ptySendBodySchema, ptyStartBodySchema, ptyWriteBodySchema } from './wire.js';

/** Pasted prompts and typed input can be long: more than the daemon's own 1 MiB. */
const MAX_BODY = 4 * 1024 * 1024;
const ok = { ok: true };

export function createPtyRouter(host: PtyHost): Router {
  return createRouter(
    [
      route({ method: 'GET', path: '/api/pty', handler: () => ({ ptys: host.list() }) }),
      route({ method: 'POST', path: '/api/pty', status: 201, body: ptyStartBodySchema, handler: ({ body }) => host.start(body) }),
      route({
        method: 'GET',
        path: '/api/pty/:id',
        handler: ({ params }) => {
          const info = host.info(params.id as string);
          if (!info) throw new AoError('RUNTIME_NOT_FOUND', `no pty "${params.id}" in the ao daemon`);
          return info;
        },
      }),
      route({
        method: 'POST',
        path: '/api/pty/:id/write',
        body: ptyWriteBodySchema,
        handler: ({ params, body }) => (host.write(params.id as string, body.data), ok),
      }),
      route({
        method: 'POST',
        path: '/api/pty/:id/send',
        body: ptySendBodySchema,
        handler: async ({ params, body }) => {
          await host.sendText(params.id as string, body.text, {
            ...(body.submit === undefined ? {} : { submit: body.submit }),
            ...(body.bracketedPaste === undefined ? {} : { bracketedPaste: body.bracketedPaste }),
            ...(body.submitDelayMs ? { submitDelayMs: body.submitDelayMs } : {}),
          });
          return ok;
        },
      }),
      route({
        method: 'POST',
        path: '/api/pty/:id/resize',
        body: ptyResizeBodySchema,
        handler: ({ params, body }) => (host.resize(params.id as string, body.cols, body.rows), ok),
      }),
      route({
        method: 'GET',
        path: '/api/pty/:id/screen',
        query: ptyScreenQuerySchema,
        handler: async ({ params, query }) => ({ screen: await host.screen(params.id as string, query.lines) }),
      }),
      route({ method: 'POST', path: '/api/pty/:id/stop', handler: async ({ params }) => (await host.stop(params.id as string), ok) }),
    ],
    { maxBodyBytes: MAX_BODY },
  );
}
