import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkMonth, ChromiumMissingError, htmlCsp, MONTH_PATTERN, REPORT_FORMATS, type RenderedReport, type StoredReport } from '@shadow-ai/detect';
import type { ApiDeps } from '../deps.ts';
import { errorSchema, HttpError } from '../errors.ts';

const monthParam = z
  .string()
  .regex(MONTH_PATTERN, 'month must be YYYY-MM, e.g. 2026-10')
  .describe('calendar month in UTC, YYYY-MM; the current month gives a partial report, a later one is refused');

const storedSchema = z
  .object({
    id: z.string(),
    month: z.string(),
    format: z.enum(REPORT_FORMATS),
    generatedAt: z.string(),
    generatedBy: z.string().describe('who made it: the API caller, or `scheduler`'),
    size: z.number().describe('bytes'),
    sha256: z.string().describe('of the document bytes'),
  })
  .meta({ id: 'StoredReport' });

function validMonth(month: string): void {
  const c = checkMonth(month);
  if (!c.ok) throw new HttpError(400, 'bad_request', c.reason);
}

/**
 * The server's default CSP (default-src 'none') would stop the HTML report's charts; the report's own
 * policy allows exactly its inline script and style (by hash) and nothing else. Route-level onSend
 * hooks run after the server-wide one, so this header wins.
 */
function send(reply: FastifyReply, doc: Pick<RenderedReport, 'contentType' | 'fileName' | 'body'> & { csp?: string | null }, disposition: 'inline' | 'attachment') {
  reply.header('content-disposition', `${disposition}; filename="${doc.fileName}"`);
  if (doc.csp) reply.header('x-report-csp', doc.csp);
  return reply.type(doc.contentType).send(doc.body);
}

const reportCsp = {
  onSend: async (_req: unknown, reply: FastifyReply) => {
    const csp = reply.getHeader('x-report-csp');
    if (typeof csp === 'string') {
      reply.header('content-security-policy', csp);
      reply.removeHeader('x-report-csp');
    }
  },
};

async function rendered(deps: ApiDeps, month: string, format: (typeof REPORT_FORMATS)[number]): Promise<RenderedReport> {
  try {
    return await deps.reports.render(month, format);
  } catch (err) {
    if (err instanceof ChromiumMissingError) throw new HttpError(503, 'pdf_unavailable', err.message);
    throw err;
  }
}

/** Monthly Shadow AI reports: on demand, stored, listed. */
export const reportsRouter =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const actor = (req: { principal: { actor: string } | null }) => req.principal?.actor ?? 'unknown';

    app.get(
      '/v1/reports/monthly',
      {
        config: { access: 'viewer' },
        ...reportCsp,
        schema: {
          summary: 'The monthly Shadow AI report, generated now (not stored): html, pdf, csv or json',
          tags: ['reports'],
          produces: ['text/html', 'application/pdf', 'text/csv', 'application/json'],
          querystring: z.strictObject({ month: monthParam, format: z.enum(REPORT_FORMATS).default('json') }),
          response: { 400: errorSchema, 503: errorSchema },
        },
      },
      async (req, reply) => {
        validMonth(req.query.month);
        const doc = await rendered(deps, req.query.month, req.query.format);
        return send(reply, doc, req.query.format === 'html' || req.query.format === 'json' ? 'inline' : 'attachment');
      },
    );

    app.post(
      '/v1/reports/monthly',
      {
        config: { access: 'admin' },
        schema: {
          summary: 'Generate the monthly report now and store it (one stored report per format)',
          tags: ['reports'],
          body: z.strictObject({
            month: monthParam,
            formats: z.array(z.enum(REPORT_FORMATS)).min(1).max(4).default(['html', 'pdf', 'json']),
          }),
          response: { 201: z.object({ items: z.array(storedSchema) }), 400: errorSchema, 503: errorSchema },
        },
      },
      async (req, reply) => {
        validMonth(req.body.month);
        const items = [];
        for (const format of [...new Set(req.body.formats)]) {
          try {
            items.push(await deps.reports.generate(req.body.month, format, actor(req)));
          } catch (err) {
            if (err instanceof ChromiumMissingError) throw new HttpError(503, 'pdf_unavailable', err.message);
            throw err;
          }
        }
        await deps.audit.record({ actor: actor(req), action: 'report.generate', target: req.body.month, before: null, after: items });
        return reply.code(201).send({ items });
      },
    );

    app.get(
      '/v1/reports',
      {
        config: { access: 'viewer' },
        schema: {
          summary: 'Stored reports (scheduled and generated on request), newest first',
          tags: ['reports'],
          querystring: z.strictObject({
            month: monthParam.optional(),
            format: z.enum(REPORT_FORMATS).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
          response: { 200: z.object({ items: z.array(storedSchema) }), 400: errorSchema },
        },
      },
      async (req) => ({ items: await deps.reports.deps.store.list({ month: req.query.month, format: req.query.format }, req.query.limit) }),
    );

    app.get(
      '/v1/reports/:id',
      {
        config: { access: 'viewer' },
        ...reportCsp,
        schema: {
          summary: 'Download a stored report as it was generated',
          tags: ['reports'],
          produces: ['text/html', 'application/pdf', 'text/csv', 'application/json'],
          params: z.object({ id: z.string().regex(/^[0-9a-f]{20}$/, 'a report id is 20 hex characters') }),
          response: { 400: errorSchema, 404: errorSchema },
        },
      },
      async (req, reply) => {
        const doc: StoredReport | null = await deps.reports.deps.store.get(req.params.id);
        if (!doc) throw new HttpError(404, 'not_found', `no stored report ${req.params.id}`);
        reply.header('x-report-sha256', doc.sha256);
        const csp = doc.format === 'html' ? htmlCsp(doc.body.toString('utf8')) : null;
        return send(reply, { ...doc, csp }, doc.format === 'html' || doc.format === 'json' ? 'inline' : 'attachment');
      },
    );
  };
