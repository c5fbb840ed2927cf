import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AGENT_KINDS, agentInputSchema } from '@shadow-ai/detect';
import type { ApiDeps } from '../deps.ts';
import { errorSchema, HttpError } from '../errors.ts';

const agentSchema = z
  .object({
    id: z.string(),
    identity: z.string(),
    kind: z.enum(AGENT_KINDS),
    sponsor: z.string(),
    expiresAt: z.string().nullable(),
    allowedApps: z.array(z.string()),
    description: z.string(),
    actor: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Agent' });

/** The registry of AI agent identities (service accounts, workloads, hosts) with sponsor and expiry. */
export const agentsRouter =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const actor = (req: { principal: { actor: string } | null }) => req.principal?.actor ?? 'unknown';
    const reevaluate = (log: { error: (o: object, m: string) => void }) =>
      void deps.detector.evaluateAll().catch((err: unknown) => log.error({ err }, 'findings re-evaluation failed'));

    app.get(
      '/v1/agents',
      { config: { access: 'viewer' }, schema: { summary: 'Registered agent identities', tags: ['agents'], response: { 200: z.object({ items: z.array(agentSchema) }) } } },
      async () => ({ items: deps.agents.list() }),
    );

    app.post(
      '/v1/agents',
      {
        config: { access: 'admin' },
        schema: { summary: 'Register an agent identity', tags: ['agents'], body: agentInputSchema, response: { 201: agentSchema, 400: errorSchema, 409: errorSchema } },
      },
      async (req, reply) => {
        if (deps.agents.forIdentity(req.body.identity)) throw new HttpError(409, 'conflict', `identity ${req.body.identity} is already registered`);
        const { after } = await deps.agents.upsert(req.body, actor(req));
        await deps.audit.record({ actor: actor(req), action: 'agent.create', target: after.id, before: null, after });
        reevaluate(req.log);
        return reply.code(201).send(after);
      },
    );

    app.put(
      '/v1/agents/:id',
      {
        config: { access: 'admin' },
        schema: {
          summary: 'Replace an agent registration (sponsor, expiry, allowed apps)',
          tags: ['agents'],
          params: z.object({ id: z.string().min(1).max(64) }),
          body: agentInputSchema,
          response: { 200: agentSchema, 400: errorSchema, 404: errorSchema, 409: errorSchema },
        },
      },
      async (req) => {
        if (!deps.agents.get(req.params.id)) throw new HttpError(404, 'not_found', `no agent ${req.params.id}`);
        try {
          const { before, after } = await deps.agents.upsert(req.body, actor(req), req.params.id);
          await deps.audit.record({ actor: actor(req), action: 'agent.update', target: after.id, before, after });
          reevaluate(req.log);
          return after;
        } catch (e) {
          throw new HttpError(409, 'conflict', (e as Error).message);
        }
      },
    );

    app.delete(
      '/v1/agents/:id',
      {
        config: { access: 'admin' },
        schema: { summary: 'Remove an agent registration', tags: ['agents'], params: z.object({ id: z.string().min(1).max(64) }), response: { 200: agentSchema, 404: errorSchema } },
      },
      async (req) => {
        const removed = await deps.agents.remove(req.params.id, actor(req));
        if (!removed) throw new HttpError(404, 'not_found', `no agent ${req.params.id}`);
        await deps.audit.record({ actor: actor(req), action: 'agent.remove', target: removed.id, before: removed, after: null });
        reevaluate(req.log);
        return removed;
      },
    );
  };
