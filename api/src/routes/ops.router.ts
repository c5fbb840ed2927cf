import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps.ts';

/** Liveness, readiness and Prometheus metrics. */
export const opsRouter =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/healthz',
      { config: { access: 'public' }, schema: { summary: 'Liveness: the process answers', tags: ['ops'], response: { 200: z.object({ status: z.literal('ok') }) } } },
      async () => ({ status: 'ok' as const }),
    );

    const readySchema = z.object({ status: z.enum(['ready', 'not_ready']), checks: z.record(z.string(), z.string()) });
    app.get(
      '/readyz',
      { config: { access: 'public' },
        schema: {
          summary: 'Readiness: the store answers and the configured sources run',
          tags: ['ops'],
          response: { 200: readySchema, 503: readySchema },
        },
      },
      async (_req, reply) => {
        const r = await deps.readiness();
        return reply.code(r.ok ? 200 : 503).send({ status: r.ok ? 'ready' : 'not_ready', checks: r.checks });
      },
    );

    app.get('/metrics', { config: { access: 'viewer' }, schema: { summary: 'Prometheus metrics', tags: ['ops'], produces: ['text/plain'] } }, async (req, reply) => {
      reply.header('content-type', deps.metrics.registry.contentType);
      await deps.metrics.collectForwarding().catch((err: unknown) => req.log.warn({ err }, 'forwarding status unavailable'));
      return deps.metrics.registry.metrics();
    });
  };
