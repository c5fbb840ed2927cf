import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { getDomain } from 'tldts';
import { z } from 'zod';
import { ACTIVITIES, CATEGORIES, riskScore, type CatalogApp } from '@shadow-ai/catalog';
import { queryRows } from '@shadow-ai/clickhouse';
import { toClickHouseTime } from '@shadow-ai/core';
import { CANDIDATE_SIGNALS, SANCTION_STATUSES } from '@shadow-ai/detect';
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
    domains: z.array(z.object({ host: z.string(), match: z.enum(['exact', 'suffix']) })),
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
    });

    app.get(
      '/v1/catalog/apps',
      {
        schema: {
          summary: 'The AI app catalog with risk attributes, risk score and sanction status',
          tags: ['catalog'],
          querystring: z.strictObject({
            category: z.enum(CATEGORIES).optional(),
            q: z.string().min(1).max(100).optional().describe('matches id, name, vendor or a domain'),
            sanction: z.enum(SANCTION_STATUSES).optional(),
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
        const matches = [...deps.catalog.apps]
          .sort((a, b) => a.id.localeCompare(b.id))
          .filter(
            (a) =>
              (!q.category || a.category === q.category) &&
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
      {
        schema: {
          summary: 'One catalog app',
          tags: ['catalog'],
          params: z.object({ id: z.string().min(1).max(64) }),
          response: { 200: catalogAppSchema, 404: errorSchema },
        },
      },
      async (req) => {
        const a = deps.catalog.get(req.params.id);
        if (!a) throw new HttpError(404, 'not_found', `no catalog app ${req.params.id}`);
        return toApi(a);
      },
    );

    app.get(
      '/v1/catalog/candidates',
      {
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
        const page = rows.slice(0, q.limit).filter((r) => !deps.catalog.matcher.match({ host: r.host }));
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

    app.patch(
      '/v1/catalog/candidates/:host',
      {
        schema: {
          summary: 'Confirm or dismiss a candidate AI service (confirmed ones are for the catalog maintainers to add)',
          tags: ['catalog'],
          params: z.object({ host: z.string().min(1).max(253) }),
          body: z.strictObject({ status: z.enum(CANDIDATE_STATUSES), note: z.string().max(1000).default('') }),
          response: { 200: z.object({ host: z.string(), status: z.enum(CANDIDATE_STATUSES), note: z.string() }), 400: errorSchema, 404: errorSchema },
        },
      },
      async (req) => {
        const host = req.params.host.toLowerCase();
        const seen = await queryRows<{ n: number | string }>(deps.client, 'SELECT count() AS n FROM candidates WHERE host = {host:String}', { host });
        if (Number(seen[0]?.n ?? 0) === 0) throw new HttpError(404, 'not_found', `no candidate ${host}`);
        await deps.client.insert({
          table: 'candidate_reviews',
          format: 'JSONEachRow',
          values: [{ host, status: req.body.status, note: req.body.note, actor: 'api', updated_at: toClickHouseTime(new Date().toISOString()) }],
        });
        return { host, status: req.body.status, note: req.body.note };
      },
    );
  };
