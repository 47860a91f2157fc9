import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Headers every page gets. xterm.js writes `<style>` elements, hence inline styles; scripts only
 * from this origin, and nothing may frame the page (the dashboard drives agents).
 */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * The built browser app: `dist/client` beside `dist/server` (the published layout), or the
 * package's `dist/client` when the server runs from its TypeScript sources (tests).
 */
export function defaultClientDir(): string {
  const candidates = [fileURLToPath(new URL('../client/', import.meta.url)), fileURLToPath(new URL('../../dist/client/', import.meta.url))];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? (candidates[0] as string);
}

/**
 * Serves the app for GET/HEAD outside `/api` (the daemon checked the token before). `/?token=…`
 * answers with a redirect to `/`: the cookie is set by then, and the token leaves the address
 * bar and the history. Hashed assets are cached forever; index.html never.
 */
export function createStaticHandler(clientDir: string): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> {
  const root = normalize(clientDir.endsWith(sep) ? clientDir : clientDir + sep);
  return async (req, res, url) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (url.pathname.startsWith('/api/') || url.pathname === '/api') return false;
    if (url.searchParams.has('token')) {
      url.searchParams.delete('token');
      const rest = url.searchParams.toString();
      res.writeHead(302, { location: `${url.pathname}${rest ? `?${rest}` : ''}`, 'cache-control': 'no-store', ...SECURITY_HEADERS });
      res.end();
      return true;
    }
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      return false;
    }
    const relative = path === '/' || path === '/index.html' ? 'index.html' : path.replace(/^\/+/, '');
    const file = normalize(join(root, relative));
    if (!file.startsWith(root)) return false;
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) {
      if (relative !== 'index.html') return false;
      const message = `The dashboard app is not built (${join(root, 'index.html')} is missing): run \`pnpm build\` in packages/web.`;
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(message);
      return true;
    }
    const body = await readFile(file);
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': String(body.length),
      'cache-control': relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-store',
      ...SECURITY_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
