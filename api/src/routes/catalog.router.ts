import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { getDomain } from 'tldts';
import { z } from 'zod';
import { ACTIVITIES, CATEGORIES, CUSTOM_APP_PREFIX, riskScore, type CatalogApp } from '@shadow-ai/catalog';
import { queryRows } from '@shadow-ai/clickhouse';
import { toClickHouseTime } from '@shadow-ai/core';
import { CANDIDATE_SIGNALS, CustomAppError, SANCTION_STATUSES } from '@shadow-ai/detect';
import type { ApiDeps } from '../deps.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { errorSchema, HttpError } from '../errors.ts';
import { isoOut } from '../time-params.ts';

const tri = z.enum(['yes', 'no', 'unknown']);
const catalogAppSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    vendor: z.string(),
    category: z.enum(CATEGORIES),
    description: z.string(),
    homepage: z.string(),
    sanction: z.enum(SANCTION_STATUSES),
    riskScore: z.number().min(0).max(10),
    risk: z.object({
      hqCountry: z.string(),
      trainsOnCustomerData: z.string(),
      retention: z.string(),
      soc2: tri,
      iso27001: tri,
      gdprDpa: tri,
      sso: tri,
      scim: tri,
      enterpriseTier: tri,
      auditLogs: tri,
      references: z.array(z.string()),
    }),
    domains: z.array(z.object({ host: z.string(), match: z.enum(['exact', 'suffix', 'pattern']) })),
    custom: z.boolean().describe('an organisation-defined app'),
    signatures: z.array(
      z.object({ host: z.string(), method: z.string(), path: z.string(), userAgent: z.string().optional(), activity: z.enum(ACTIVITIES) }),
    ),
    references: z.array(z.string()),
  })
  .meta({ id: 'CatalogApp' });

const CANDIDATE_STATUSES = ['new', 'confirmed', 'dismissed'] as const;
const candidateSchema = z
  .object({
    host: z.string(),
    domain: z.string().nullable().describe('registrable domain of the host'),
    score: z.number(),
    signals: z.array(z.enum(Object.keys(CANDIDATE_SIGNALS) as [keyof typeof CANDIDATE_SIGNALS])),
    requests: z.number(),
    users: z.number(),
    firstSeen: z.string(),
    lastSeen: z.string(),
    sampleUrl: z.string().nullable(),
    sampleUserAgent: z.string().nullable(),
    status: z.enum(CANDIDATE_STATUSES),
    note: z.string().nullable(),
  })
  .meta({ id: 'Candidate' });

interface CandidateRow {
  host: string;
  requests: number | string;
  users: number | string;
  signals: string[];
  score: number | string;
  first_seen: string;
  last_seen: string;
  sample_url: string;
  sample_user_agent: string;
  status: string;
  note: string;
}

export const catalogRouter =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const toApi = (a: CatalogApp): z.infer<typeof catalogAppSchema> => ({
      id: a.id,
      name: a.name,
      vendor: a.vendor,
      category: a.category,
      description: a.description,
      homepage: a.homepage,
      sanction: deps.sanctions.statusOf(a.id),
      riskScore: riskScore(a.risk),
      risk: a.risk,
      domains: a.domains,
      signatures: a.signatures,
      references: a.references,
      custom: a.id.startsWith(CUSTOM_APP_PREFIX),
    });

    app.get(
      '/v1/catalog/apps',
      { config: { access: 'viewer' },
        schema: {
          summary: 'The AI app catalog with risk attributes, risk score and sanction status',
          tags: ['catalog'],
          querystring: z.strictObject({
            category: z.enum(CATEGORIES).optional(),
            q: z.string().min(1).max(100).optional().describe('matches id, name, vendor or a domain'),
            sanction: z.enum(SANCTION_STATUSES).optional(),
            minRisk: z.coerce.number().min(0).max(10).optional().describe('risk score at least'),
            maxRisk: z.coerce.number().min(0).max(10).optional().describe('risk score at most'),
            hqCountry: z.string().regex(/^[A-Z]{2}$/).optional(),
            trainsOnCustomerData: z.enum(['yes', 'no', 'opt-out', 'unknown']).optional(),
            custom: z.enum(['true', 'false']).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
            cursor: z.string().max(512).optional(),
          }),
          response: { 200: z.object({ items: z.array(catalogAppSchema), nextCursor: z.string().nullable() }), 400: errorSchema },
        },
      },
      async (req) => {
        const q = req.query;
        const needle = q.q?.toLowerCase();
        const after = q.cursor ? String(decodeCursor(q.cursor, ['string'])[0]) : null;
        const matches = [...deps.catalog.current.apps]
          .sort((a, b) => a.id.localeCompare(b.id))
          .filter(
            (a) =>
              (!q.category || a.category === q.category) &&
              (q.minRisk === undefined || riskScore(a.risk) >= q.minRisk) &&
              (q.maxRisk === undefined || riskScore(a.risk) <= q.maxRisk) &&
              (!q.hqCountry || a.risk.hqCountry === q.hqCountry) &&
              (!q.trainsOnCustomerData || a.risk.trainsOnCustomerData === q.trainsOnCustomerData) &&
              (!q.custom || a.id.startsWith(CUSTOM_APP_PREFIX) === (q.custom === 'true')) &&
              (!q.sanction || deps.sanctions.statusOf(a.id) === q.sanction) &&
              (!needle ||
                a.id.includes(needle) ||
                a.name.toLowerCase().includes(needle) ||
                a.vendor.toLowerCase().includes(needle) ||
                a.domains.some((d) => d.host.includes(needle))) &&
              (after === null || a.id > after),
          );
        const page = matches.slice(0, q.limit);
        return {
          items: page.map(toApi),
          nextCursor: matches.length > q.limit ? encodeCursor([page[page.length - 1]!.id]) : null,
        };
      },
    );

    app.get(
      '/v1/catalog/apps/:id',
      { config: { access: 'viewer' },
        schema: {
          summary: 'One catalog app',
          tags: ['catalog'],
          params: z.object({ id: z.string().min(1).max(64) }),
          response: { 200: catalogAppSchema, 404: errorSchema },
        },
      },
      async (req) => {
        const a = deps.catalog.current.get(req.params.id);
        if (!a) throw new HttpError(404, 'not_found', `no catalog app ${req.params.id}`);
        return toApi(a);
      },
    );

    app.get(
      '/v1/catalog/candidates',
      { config: { access: 'viewer' },
        schema: {
          summary: 'Unknown destinations whose traffic shows signals of AI use, strongest first',
          description: `Signals and weights: ${Object.entries(CANDIDATE_SIGNALS)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}.`,
          tags: ['catalog'],
          querystring: z.strictObject({
            status: z.enum(CANDIDATE_STATUSES).optional(),
            minScore: z.coerce.number().int().min(0).max(255).default(2),
            limit: z.coerce.number().int().min(1).max(500).default(50),
            cursor: z.string().max(512).optional(),
          }),
          response: { 200: z.object({ items: z.array(candidateSchema), nextCursor: z.string().nullable() }), 400: errorSchema },
        },
      },
      async (req) => {
        const q = req.query;
        const having = ['score >= {min:UInt8}'];
        const params: Record<string, unknown> = { min: q.minScore, limit: q.limit + 1 };
        if (q.status) {
          having.push('status = {status:String}');
          params.status = q.status;
        }
        if (q.cursor) {
          const [score, host] = decodeCursor(q.cursor, ['number', 'string']);
          having.push('(score < {c_score:UInt8} OR (score = {c_score:UInt8} AND host > {c_host:String}))');
          Object.assign(params, { c_score: score, c_host: host });
        }
        const rows = await queryRows<CandidateRow>(
          deps.client,
          `SELECT c.host AS host, sum(c.requests) AS requests, uniqMerge(c.users) AS users,
                  groupUniqArrayArray(c.signals) AS signals, max(c.score) AS score, min(c.first_seen) AS first_seen,
                  max(c.last_seen) AS last_seen, any(c.sample_url) AS sample_url, any(c.sample_user_agent) AS sample_user_agent,
                  if(any(r.status) = '', 'new', any(r.status)) AS status, any(r.note) AS note
           FROM candidates AS c
           LEFT JOIN (SELECT host, status, note FROM candidate_reviews FINAL) AS r ON r.host = c.host
           GROUP BY c.host
           HAVING ${having.join(' AND ')}
           ORDER BY score DESC, host ASC
           LIMIT {limit:UInt32}`,
          params,
        );
        // A host the catalog has learned since it was observed is no longer a candidate.
        const catalog = deps.catalog.current;
        const page = rows.slice(0, q.limit).filter((r) => !catalog.matcher.match({ host: r.host }));
        const last = rows.length > q.limit ? rows[q.limit - 1] : undefined;
        return {
          items: page.map((r) => ({
            host: r.host,
            domain: getDomain(r.host) ?? null,
            score: Number(r.score),
            signals: [...r.signals].sort() as (keyof typeof CANDIDATE_SIGNALS)[],
            requests: Number(r.requests),
            users: Number(r.users),
            firstSeen: isoOut(r.first_seen),
            lastSeen: isoOut(r.last_seen),
            sampleUrl: r.sample_url || null,
            sampleUserAgent: r.sample_user_agent || null,
            status: r.status as (typeof CANDIDATE_STATUSES)[number],
            note: r.note || null,
          })),
          nextCursor: last ? encodeCursor([Number(last.score), last.host]) : null,
        };
      },
    );

    const review = async (host: string, status: 'confirmed' | 'dismissed', note: string) => {
      await deps.client.insert({
        table: 'candidate_reviews',
        format: 'JSONEachRow',
        values: [{ host, status, note, actor: 'api', updated_at: toClickHouseTime(new Date().toISOString()) }],
      });
    };
    const requireCandidate = async (host: string) => {
      const seen = await queryRows<{ n: number | string; url: string }>(
        deps.client,
        'SELECT count() AS n, any(sample_url) AS url FROM candidates WHERE host = {host:String}',
        { host },
      );
      if (Number(seen[0]?.n ?? 0) === 0) throw new HttpError(404, 'not_found', `no candidate ${host}`);
      return seen[0]!.url;
    };
    const hostParams = z.object({ host: z.string().min(1).max(253).transform((h) => h.toLowerCase()) });

    app.post(
      '/v1/catalog/candidates/:host/confirm',
      { config: { access: 'admin' },
        schema: {
          summary: 'Confirm a candidate: it becomes a custom app, so its traffic classifies from now on',
          tags: ['catalog'],
          params: hostParams,
          body: z.strictObject({
            id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/).max(56).optional().describe(`app id without the "${CUSTOM_APP_PREFIX}" prefix (default: from the host)`),
            name: z.string().min(1).max(100).optional(),
            vendor: z.string().min(1).max(100).default('unknown'),
            category: z.enum(CATEGORIES).default('other'),
            includeSubdomains: z.boolean().default(false),
            note: z.string().max(1000).default(''),
          }),
          response: { 200: catalogAppSchema, 400: errorSchema, 404: errorSchema, 409: errorSchema },
        },
      },
      async (req) => {
        const host = req.params.host;
        const sampleUrl = await requireCandidate(host);
        const b = req.body;
        const id = `${CUSTOM_APP_PREFIX}${b.id ?? host.replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 56)}`;
        const homepage = `https://${host}/`;
        const created = await upsertCustom(
          {
            id,
            name: b.name ?? host,
            vendor: b.vendor,
            category: b.category,
            description: `Confirmed from candidate discovery${b.note ? `: ${b.note}` : ''}`.slice(0, 300),
            homepage,
            domains: [{ host, match: b.includeSubdomains ? 'suffix' : 'exact' }],
            references: [sampleUrl && /^https?:\/\//.test(sampleUrl) ? sampleUrl : homepage],
          },
        );
        await review(host, 'confirmed', b.note);
        return toApi(created);
      },
    );

    app.post(
      '/v1/catalog/candidates/:host/dismiss',
      { config: { access: 'admin' },
        schema: {
          summary: 'Dismiss a candidate: not an AI service',
          tags: ['catalog'],
          params: hostParams,
          body: z.strictObject({ note: z.string().max(1000).default('') }).default({ note: '' }),
          response: { 200: z.object({ host: z.string(), status: z.literal('dismissed') }), 400: errorSchema, 404: errorSchema },
        },
      },
      async (req) => {
        await requireCandidate(req.params.host);
        await review(req.params.host, 'dismissed', req.body.note);
        return { host: req.params.host, status: 'dismissed' as const };
      },
    );

    const upsertCustom = async (body: unknown) => {
      try {
        return await deps.customApps.upsert(body, 'api');
      } catch (e) {
        if (e instanceof CustomAppError) {
          throw new HttpError(e.code === 'conflict' ? 409 : e.code === 'not_found' ? 404 : 400, e.code === 'invalid' ? 'bad_request' : e.code, e.message);
        }
        throw e;
      }
    };
    const customIdParams = z.object({ id: z.string().startsWith(CUSTOM_APP_PREFIX).max(64) });

    app.get(
      '/v1/catalog/custom-apps',
      { config: { access: 'viewer' },
        schema: {
          summary: "The organisation's own apps",
          tags: ['catalog'],
          response: { 200: z.object({ items: z.array(catalogAppSchema) }) },
        },
      },
      async () => ({ items: deps.customApps.list().map(toApi) }),
    );

    app.put(
      '/v1/catalog/custom-apps/:id',
      { config: { access: 'admin' },
        schema: {
          summary: 'Create or replace a custom app (same shape as a catalog file; id must start with "custom-")',
          tags: ['catalog'],
          params: customIdParams,
          body: z.looseObject({ id: z.string() }),
          response: { 200: catalogAppSchema, 400: errorSchema, 409: errorSchema },
        },
      },
      async (req) => {
        if (req.body.id !== req.params.id) throw new HttpError(400, 'bad_request', 'body id must equal the path id');
        return toApi(await upsertCustom(req.body));
      },
    );

    app.delete(
      '/v1/catalog/custom-apps/:id',
      { config: { access: 'admin' },
        schema: {
          summary: 'Remove a custom app',
          tags: ['catalog'],
          params: customIdParams,
          response: { 204: z.null(), 404: errorSchema },
        },
      },
      async (req, reply) => {
        try {
          await deps.customApps.remove(req.params.id, 'api');
        } catch (e) {
          if (e instanceof CustomAppError) throw new HttpError(404, 'not_found', e.message);
          throw e;
        }
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/v1/catalog',
      { config: { access: 'viewer' },
        schema: {
          summary: 'Catalog version, content hash and counts',
          tags: ['catalog'],
          response: {
            200: z.object({
              version: z.string(),
              shippedVersion: z.string(),
              hash: z.string(),
              apps: z.number(),
              customApps: z.number(),
              domains: z.number(),
              signatures: z.number(),
              categories: z.record(z.string(), z.number()),
            }),
          },
        },
      },
      async () => {
        const c = deps.catalog.current;
        return { version: c.version, shippedVersion: c.shippedVersion, hash: c.hash, customApps: c.customApps.length, ...c.stats() };
      },
    );
  };
