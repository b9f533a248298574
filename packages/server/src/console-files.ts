/**
 * Serves the built console (packages/console/dist) on every request that is not an API call:
 * files with their content types, `index.html` for the app's own routes (it routes in the
 * browser), long-lived caching for Vite's hashed assets and none for index.html, so a new
 * build is picked up on the next load.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the console's build lands, next to this package (same depth from src/ and dist/). */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../console/dist/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'",
};

export function createConsoleHandler(
  dir: string = DEFAULT_CONSOLE_DIR,
): (req: IncomingMessage, res: ServerResponse) => void {
  const root = normalize(dir.endsWith(sep) ? dir : dir + sep);
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(
        res,
        405,
        { __type: 'UnknownOperationException', message: 'API requests are POST requests' },
        {
          Allow: 'GET, HEAD, POST',
        },
      );
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      sendJson(res, 400, { __type: 'ValidationException', message: 'Malformed path' });
      return;
    }
    const index = join(root, 'index.html');
    if (!existsSync(index)) {
      sendJson(res, 404, {
        __type: 'ConsoleNotBuilt',
        message: 'The console is not built: run `npm run build` (packages/console/dist is missing)',
      });
      return;
    }
    const file = normalize(join(root, pathname));
    if (file.startsWith(root) && pathname !== '/' && isFile(file)) {
      const hashed = pathname.startsWith('/assets/');
      sendFile(req, res, file, hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      return;
    }
    // A missing file with an extension is a missing asset; anything else is one of the app's routes.
    if (extname(pathname) !== '') {
      sendJson(res, 404, { __type: 'NotFound', message: `No such file: ${pathname}` });
      return;
    }
    sendFile(req, res, index, 'no-cache');
  };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function sendFile(req: IncomingMessage, res: ServerResponse, file: string, cacheControl: string): void {
  const size = statSync(file).size;
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': size,
    'Cache-Control': cacheControl,
    ...SECURITY_HEADERS,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}
