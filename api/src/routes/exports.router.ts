import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { currentExport, EXPORT_FORMATS } from '@shadow-ai/detect';
import type { ApiDeps } from '../deps.ts';

/** Enforcement lists for proxies, DNS servers and firewalls; appliances poll cheaply with If-None-Match. */
export const exportsRouter =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/exports/:format',
      {
        config: { access: 'viewer' },
        schema: {
          summary: 'Blocked (or sanctioned) apps as an enforcement list: squid, squid-conf, rpz, unbound, dnsmasq, hosts, pihole, adguard, edl, pac',
          tags: ['exports'],
          produces: ['text/plain', 'text/dns', 'application/x-ns-proxy-autoconfig'],
          params: z.object({ format: z.enum(EXPORT_FORMATS) }),
          querystring: z.strictObject({
            list: z.enum(['blocked', 'sanctioned']).default('blocked'),
            proxy: z.string().min(3).max(200).optional().describe('PAC only: where matching hosts go (default: a blackhole for blocked)'),
          }),
        },
      },
      async (req, reply) => {
        const out = currentExport(req.params.format, req.query.list, {
          catalog: deps.catalog.current,
          sanctions: deps.sanctions,
          customApps: deps.customApps,
        }, req.query.proxy);
        reply.header('etag', out.etag);
        reply.header('x-shadow-ai-entries', String(out.entries));
        reply.header('x-shadow-ai-skipped', String(out.skipped.length));
        reply.header('content-disposition', `inline; filename="${out.fileName}"`);
        if (req.headers['if-none-match'] === out.etag) return reply.code(304).send();
        return reply.type(out.contentType).send(out.body);
      },
    );
  };
