import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { destinationSchema, redactDestination } from '@shadow-ai/detect';
import type { ApiDeps } from '../deps.ts';
import { errorSchema, HttpError } from '../errors.ts';

const statusSchema = z.object({
  id: z.string(),
  type: z.string(),
  pending: z.number(),
  delivered: z.number(),
  failedAttempts: z.number(),
  lastError: z.string().nullable(),
  lastErrorAt: z.string().nullable(),
  lastDeliveredAt: z.string().nullable(),
  lagSeconds: z.number(),
  running: z.boolean(),
});

/** Alert destinations (syslog CEF/LEEF, Splunk HEC, webhook, Kafka) and their delivery status. */
export const destinationsRouter =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const actor = (req: { principal: { actor: string } | null }) => req.principal?.actor ?? 'unknown';

    app.get(
      '/v1/destinations',
      {
        config: { access: 'admin' },
        schema: {
          summary: 'Forwarding destinations (credentials redacted) with delivery status, lag and errors',
          tags: ['destinations'],
          response: { 200: z.object({ items: z.array(z.object({ config: z.record(z.string(), z.unknown()), status: statusSchema.nullable() })) }) },
        },
      },
      async () => {
        const status = new Map((await deps.forwarder.status()).map((s) => [s.id, s]));
        return { items: deps.forwarder.list().map((d) => ({ config: redactDestination(d), status: status.get(d.id) ?? null })) };
      },
    );

    app.put(
      '/v1/destinations/:id',
      {
        config: { access: 'admin' },
        schema: {
          summary: 'Create or replace a destination; findings it has not had are enqueued for it',
          tags: ['destinations'],
          params: z.object({ id: z.string().min(1).max(128) }),
          body: z.looseObject({ id: z.string() }),
          response: { 200: z.object({ config: z.record(z.string(), z.unknown()) }), 400: errorSchema },
        },
      },
      async (req) => {
        if (req.body.id !== req.params.id) throw new HttpError(400, 'bad_request', 'body id must equal the path id');
        const parsed = destinationSchema.safeParse(req.body);
        if (!parsed.success) throw new HttpError(400, 'bad_request', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
        const before = await deps.forwarder.upsert(parsed.data, actor(req));
        await deps.audit.record({ actor: actor(req), action: 'destination.set', target: parsed.data.id, before: before && redactDestination(before), after: redactDestination(parsed.data) });
        return { config: redactDestination(parsed.data) };
      },
    );

    app.delete(
      '/v1/destinations/:id',
      {
        config: { access: 'admin' },
        schema: { summary: 'Remove a destination', tags: ['destinations'], params: z.object({ id: z.string().min(1).max(128) }), response: { 204: z.null(), 404: errorSchema } },
      },
      async (req, reply) => {
        const before = await deps.forwarder.remove(req.params.id, actor(req));
        if (!before) throw new HttpError(404, 'not_found', `no destination ${req.params.id}`);
        await deps.audit.record({ actor: actor(req), action: 'destination.remove', target: req.params.id, before: redactDestination(before), after: null });
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/v1/destinations/:id/test',
      {
        config: { access: 'admin' },
        schema: {
          summary: 'Send a test finding straight to the destination and report whether it got through',
          tags: ['destinations'],
          params: z.object({ id: z.string().min(1).max(128) }),
          response: { 200: z.object({ ok: z.boolean(), error: z.string().nullable() }), 404: errorSchema },
        },
      },
      async (req) => {
        if (!deps.forwarder.list().some((d) => d.id === req.params.id)) throw new HttpError(404, 'not_found', `no destination ${req.params.id}`);
        return deps.forwarder.testSend(req.params.id);
      },
    );
  };
