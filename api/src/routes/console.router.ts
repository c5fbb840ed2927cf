import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

/** Where `npm run build -w @shadow-ai/dashboards` writes the console. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../../dashboards/dist/', import.meta.url));

/**
 * The console's own policy, replacing the API's `default-src 'none'` on its pages and assets: its scripts,
 * styles and API calls come from this origin only; no inline script or style (the build emits none);
 * images may be data: URLs (the favicon, Chart.js canvases exported as images).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Client-side routes of the single-page app: each answers with the shell, the app picks the page. */
export const CONSOLE_ROUTES = ['/', '/signin', '/overview', '/findings', '/findings/:id', '/apps', '/users', '/users/:user', '/candidates', '/agents'];

/**
 * Serves the web console (dashboards/dist): the HTML shell for `/` and the client-side routes, the
 * content-hashed files under `/assets/` with a year's immutable caching. The shell holds no data —
 * every call it makes goes to the authenticated API — so these routes are public. Without a build the
 * shell answers 503 saying how to build it, and the API keeps working.
 */
export const consoleRouter =
  (opts: { distDir?: string } = {}): FastifyPluginAsync =>
  async (app) => {
    const dist = opts.distDir ?? CONSOLE_DIST;
    const assets = join(dist, 'assets');
    // No `root`: every sendFile names its directory, and a missing build is reported below, once, in our words.
    await app.register(fastifyStatic, { serve: false, decorateReply: true });
    if (!existsSync(join(dist, 'index.html'))) {
      app.log.warn({ dist }, 'web console not built: run `npm run build -w @shadow-ai/dashboards`; / answers 503 until then');
    }

    // Encapsulated in this plugin, so it runs after the server-wide onSend hook and only on these routes.
    // TRICKY: the server-wide hook has just set `cache-control: no-store` over what sendFile set, so the
    // caching is decided here: hashed assets never change under their name; the shell is revalidated.
    app.addHook('onSend', async (req, reply) => {
      reply.header('content-security-policy', CONSOLE_CSP);
      reply.header('cross-origin-opener-policy', 'same-origin');
      reply.header('cross-origin-resource-policy', 'same-origin');
      const asset = req.routeOptions.url === '/assets/*' && reply.statusCode === 200;
      reply.header('cache-control', asset ? 'public, max-age=31536000, immutable' : 'no-cache');
    });

    let shell: string | null = null;
    const sendShell = (reply: FastifyReply) => {
      // Read once; until a build exists keep looking, so building while the service runs is enough.
      if (shell === null && existsSync(join(dist, 'index.html'))) shell = readFileSync(join(dist, 'index.html'), 'utf8');
      if (shell === null) {
        return reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send('The web console is not built. Run `npm run build -w @shadow-ai/dashboards` (npm install does it), then reload. The API under /v1 works without it.\n');
      }
      return reply.type('text/html; charset=utf-8').send(shell);
    };

    for (const url of CONSOLE_ROUTES) {
      app.get(url, { config: { access: 'public' }, schema: { hide: true } }, async (_req, reply) => sendShell(reply));
    }

    app.get<{ Params: { '*': string } }>('/assets/*', { config: { access: 'public' }, schema: { hide: true } }, async (req, reply) => {
      const file = req.params['*'];
      // Only the flat, content-hashed files the build writes: no directories, no dot files, no traversal.
      if (!/^[\w.-]+$/.test(file) || file.startsWith('.') || !existsSync(join(assets, file))) {
        return reply.code(404).send({ error: 'not_found', message: `no console asset ${file}` });
      }
      return reply.sendFile(file, assets, { dotfiles: 'deny' });
    });
  };
