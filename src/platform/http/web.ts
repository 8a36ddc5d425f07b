/**
 * Serves the built web apps (web/dist): /admin → the operator console, /app → the member
 * app; deep links fall back to each app's index.html so the client router takes over.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { App } from './app.js';

export const WEB_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

export async function serveWeb(app: App, dist = WEB_DIST): Promise<boolean> {
  if (!existsSync(dist)) {
    app.log.warn({ dist }, 'web/dist is missing: run `npm run build:web` to serve /admin and /app');
    return false;
  }
  await app.register(fastifyStatic, { root: dist, prefix: '/', wildcard: false, index: false, maxAge: '1h' });
  for (const spa of ['admin', 'app']) {
    const index = path.join(dist, spa, 'index.html');
    if (!existsSync(index)) continue;
    const send = (_req: unknown, reply: { header: (k: string, v: string) => unknown; sendFile: (f: string, root: string) => unknown }) => {
      reply.header('cache-control', 'no-cache');
      return reply.sendFile(`${spa}/index.html`, dist);
    };
    app.get(`/${spa}`, { schema: { hide: true } }, send as never);
    app.get(`/${spa}/*`, { schema: { hide: true } }, async (req, reply) => {
      const rel = (req.params as { '*': string })['*'];
      if (rel && path.extname(rel) && existsSync(path.join(dist, spa, rel))) return reply.sendFile(`${spa}/${rel}`, dist);
      return send(req, reply as never);
    });
  }
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/admin'));
  return true;
}
