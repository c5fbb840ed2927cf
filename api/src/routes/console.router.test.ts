import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { CONSOLE_CSP, consoleRouter } from './console.router.ts';

describe('console router', () => {
  const dirs: string[] = [];
  let app: FastifyInstance | null = null;
  const serve = async (build: boolean) => {
    const dist = mkdtempSync(join(tmpdir(), 'console-dist-'));
    dirs.push(dist);
    if (build) {
      mkdirSync(join(dist, 'assets'));
      writeFileSync(join(dist, 'index.html'), '<!doctype html><script type="module" src="/assets/index-abc123.js"></script>');
      writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
      writeFileSync(join(dist, 'secret.txt'), 'not an asset');
    }
    app = Fastify();
    await app.register(consoleRouter({ distDir: dist }));
    return { app, dist };
  };

  afterEach(async () => {
    await app?.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('answers the shell for / and client routes, with the console CSP and revalidation', async () => {
    const { app } = await serve(true);
    for (const url of ['/', '/findings', '/findings/abc', '/users/alice%40corp', '/candidates']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toContain('/assets/index-abc123.js');
    }
    expect(CONSOLE_CSP).not.toContain('unsafe');
  });

  it('serves hashed assets for a year and nothing else from the build directory', async () => {
    const { app } = await serve(true);
    const js = await app.inject({ url: '/assets/index-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body).toBe('console.log(1)');
    for (const url of ['/assets/missing.js', '/assets/..%2Fsecret.txt', '/assets/%2E%2E/secret.txt', '/assets/.hidden', '/secret.txt']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('not an asset');
    }
    const missing = await app.inject({ url: '/assets/missing.js' });
    expect(missing.headers['cache-control']).toBe('no-cache');
  });

  it('starts without a build directory, answers 503 with the build command, and picks the build up once it exists', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'console-none-'));
    dirs.push(parent);
    const dist = join(parent, 'dist');
    app = Fastify();
    await app.register(consoleRouter({ distDir: dist }));
    await app.ready();
    const res = await app.inject({ url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build -w @shadow-ai/dashboards');
    expect((await app.inject({ url: '/assets/index-abc.js' })).statusCode).toBe(404);
    mkdirSync(dist);
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>built</title>');
    const later = await app.inject({ url: '/findings' });
    expect(later.statusCode).toBe(200);
    expect(later.body).toContain('built');
  });

  it('declares every route public and keeps them out of the API documentation', async () => {
    const routes: { url: string; access: unknown; hide: unknown }[] = [];
    const app2 = Fastify();
    app2.addHook('onRoute', (r) => {
      if (r.method !== 'HEAD') routes.push({ url: r.url, access: r.config?.access, hide: (r.schema as { hide?: unknown } | undefined)?.hide });
    });
    await app2.register(consoleRouter({ distDir: tmpdir() }));
    await app2.ready();
    expect(routes.length).toBeGreaterThan(5);
    for (const r of routes) expect(r, r.url).toMatchObject({ access: 'public', hide: true });
    await app2.close();
  });
});
