/**
 * Serves the web page (web/, built by Vite into web/dist): `GET /` answers index.html and
 * `GET /assets/<file>` the files of the build. The page is a client of the public API like any
 * other; it gets no route or privilege of its own.
 * Invariants: only files of the build are served, read once when the server starts (a file
 * name is one segment of safe characters and must be one the build made, so no path reaches
 * outside web/dist/assets); every answer carries a Content-Security-Policy that lets the page
 * load and connect to this origin only and never be framed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { ApiProblem, notFound } from './problems.ts';

export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

const HEADERS = {
  'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

export const webPageRoutes = (distDir: string = WEB_DIST) => fp(async (app: FastifyInstance) => {
  const index = existsSync(join(distDir, 'index.html')) ? readFileSync(join(distDir, 'index.html')) : null;
  const assets = new Map<string, Asset>();
  const assetsDir = join(distDir, 'assets');
  if (index && existsSync(assetsDir)) {
    for (const name of readdirSync(assetsDir)) {
      const type = TYPES[extname(name)];
      if (type) assets.set(name, { type, body: readFileSync(join(assetsDir, name)) });
    }
  }
  const send = (reply: FastifyReply, type: string, cache: string, body: Buffer) =>
    reply.code(200).headers({ ...HEADERS, 'content-type': type, 'cache-control': cache }).send(body);

  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    if (!index) {
      throw new ApiProblem(404, 'web_page_not_built', 'Web page not built',
        'The web page has not been built. Run `npm run build:web` (`npm start` does it for you), then reload.');
    }
    return send(reply, 'text/html; charset=utf-8', 'no-cache', index);
  });

  app.get('/assets/:file', { schema: { hide: true } }, async (request, reply) => {
    const { file } = request.params as { file: string };
    const asset = assets.get(file);
    if (!asset) throw notFound(`Asset ${file}`);
    // Vite puts a content hash in every asset's name: a changed file is a new name.
    return send(reply, asset.type, 'public, max-age=31536000, immutable', asset.body);
  });
});
