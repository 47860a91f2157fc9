/**
 * The daemon's `/api/pty` routes over a `PtyHost`. The daemon checks the token, then offers every
 * request to `handlePtyRequest`; it answers false for paths that are not its own.
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
 * Errors: `{ error: { code, message } }` with 400 (bad request), 404 (unknown id), 405, 409 (not
 * running / already running), 413 (body too large), 500.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAoError, type z } from '@ao/core';
import type { PtyHost } from './host.js';
import { ptyResizeBodySchema, ptySendBodySchema, ptyStartBodySchema, ptyWriteBodySchema } from './wire.js';

const MAX_BODY = 4 * 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson<T>(req: IncomingMessage, schema: z.ZodType<T, z.ZodTypeDef, unknown>): Promise<T> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'BODY_TOO_LARGE', `request body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'request body is not valid JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'body';
    throw new HttpError(400, 'BAD_REQUEST', `invalid request: ${where}: ${issue?.message ?? 'unexpected value'}`);
  }
  return parsed.data;
}

const ok = { ok: true };

/** Handles `/api/pty…`; resolves false (and leaves `res` alone) for any other path. */
export async function handlePtyRequest(host: PtyHost, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  const path = url.pathname.replace(/\/+$/, '');
  if (path !== '/api/pty' && !path.startsWith('/api/pty/')) return false;
  const method = (req.method ?? 'GET').toUpperCase();
  try {
    const parts = path.split('/').slice(3).map(decodeURIComponent);
    const [id, action, ...rest] = parts;
    if (rest.length > 0) throw new HttpError(404, 'NOT_FOUND', `no route ${method} ${path}`);
    const allow = (expected: string): void => {
      if (method !== expected) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} ${path}: use ${expected}`);
    };

    if (id === undefined) {
      if (method === 'GET') return (send(res, 200, { ptys: host.list() }), true);
      allow('POST');
      send(res, 201, await host.start(await readJson(req, ptyStartBodySchema)));
      return true;
    }
    switch (action) {
      case undefined: {
        allow('GET');
        const info = host.info(id);
        if (!info) throw new HttpError(404, 'RUNTIME_FAILED', `no pty "${id}" in the ao daemon`);
        send(res, 200, info);
        return true;
      }
      case 'write': {
        allow('POST');
        host.write(id, (await readJson(req, ptyWriteBodySchema)).data);
        send(res, 200, ok);
        return true;
      }
      case 'send': {
        allow('POST');
        const body = await readJson(req, ptySendBodySchema);
        await host.sendText(id, body.text, {
          ...(body.submit === undefined ? {} : { submit: body.submit }),
          ...(body.bracketedPaste === undefined ? {} : { bracketedPaste: body.bracketedPaste }),
        });
        send(res, 200, ok);
        return true;
      }
      case 'resize': {
        allow('POST');
        const body = await readJson(req, ptyResizeBodySchema);
        host.resize(id, body.cols, body.rows);
        send(res, 200, ok);
        return true;
      }
      case 'screen': {
        allow('GET');
        const raw = url.searchParams.get('lines');
        const lines = raw === null ? 0 : Number(raw);
        if (!Number.isInteger(lines) || lines < 0) throw new HttpError(400, 'BAD_REQUEST', `lines must be a whole number ≥ 0, got "${raw}"`);
        send(res, 200, { screen: await host.screen(id, lines) });
        return true;
      }
      case 'stop': {
        allow('POST');
        await host.stop(id);
        send(res, 200, ok);
        return true;
      }
      default:
        throw new HttpError(404, 'NOT_FOUND', `no route ${method} ${path}`);
    }
  } catch (error) {
    if (error instanceof HttpError) {
      send(res, error.status, { error: { code: error.code, message: error.message } });
    } else if (isAoError(error)) {
      const status = typeof error.details.httpStatus === 'number' ? error.details.httpStatus : 500;
      send(res, status, { error: { code: error.code, message: error.message } });
    } else {
      send(res, 500, { error: { code: 'INTERNAL', message: (error as Error).message } });
    }
    return true;
  }
}
