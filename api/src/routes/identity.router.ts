import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoInstant } from '@shadow-ai/core';
import { leaseSchema, parseLeaseCsv } from '@shadow-ai/detect';
import type { ApiDeps } from '../deps.ts';
import { errorSchema, HttpError } from '../errors.ts';

/**
 * Identity map uploads: IP leases (DHCP, VPN) and logons, as JSON (`[{ip, user, from, to?}]`) or CSV
 * (`ip,user,from[,to[,source]]`). Events are attributed by the lease covering their time.
 */
export const identityRouter =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string', bodyLimit: 16 * 1024 * 1024 }, (_req, body, done) => done(null, body));

    app.post(
      '/v1/identity/leases',
      { config: { access: 'admin' },
        bodyLimit: 16 * 1024 * 1024,
        schema: {
          summary: 'Upload IP → user leases (JSON array or CSV ip,user,from[,to[,source]])',
          tags: ['identity'],
          body: z.union([z.array(leaseSchema).max(100_000), z.string()]),
          response: { 200: z.object({ stored: z.number(), leases: z.number() }), 400: errorSchema },
        },
      },
      async (req) => {
        let inputs: unknown[];
        if (typeof req.body === 'string') {
          const { leases, errors } = parseLeaseCsv(req.body);
          if (errors.length > 0) throw new HttpError(400, 'bad_request', errors.slice(0, 20).join('; '));
          inputs = leases;
        } else inputs = req.body;
        try {
          const stored = await deps.identity.add(inputs);
          return { stored, leases: deps.identity.size };
        } catch (e) {
          if (e instanceof z.ZodError) {
            throw new HttpError(400, 'bad_request', e.issues.slice(0, 20).map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
          }
          throw e;
        }
      },
    );

    app.get(
      '/v1/identity/lookup',
      { config: { access: 'analyst' },
        schema: {
          summary: 'Who had an IP address at a time',
          tags: ['identity'],
          querystring: z.strictObject({ ip: z.string().min(2).max(45), at: isoInstant }),
          response: { 200: z.object({ ip: z.string(), at: z.string(), user: z.string().nullable() }), 400: errorSchema },
        },
      },
      async (req) => {
        const user = deps.identity.lookup(req.query.ip, Date.parse(req.query.at));
        // Pseudonymisation mode: the lookup answers with the pseudonym the events carry, never the name.
        return { ip: req.query.ip, at: req.query.at, user: user !== null && deps.pseudonymizer ? deps.pseudonymizer.pseudonym(user) : user };
      },
    );
  };
