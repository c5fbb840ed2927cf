import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { queryRows } from '@shadow-ai/clickhouse';
import { FINDING_STATUSES, FINDING_TYPES } from '@shadow-ai/detect';
import type { ApiDeps } from '../deps.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { errorSchema, HttpError } from '../errors.ts';
import { isoOut, isoTime } from '../time-params.ts';

const findingSchema = z
  .object({
    id: z.string(),
    type: z.enum(FINDING_TYPES),
    user: z.string(),
    appId: z.string(),
    appName: z.string().nullable(),
    category: z.string().nullable(),
    sanction: z.string(),
    severity: z.number().int().min(0).max(100),
    status: z.enum(FINDING_STATUSES),
    firstSeen: z.string(),
    lastSeen: z.string(),
    requests: z.number(),
    bytesOut: z.number(),
    bytesIn: z.number(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Finding' });

interface FindingDbRow {
  id: string;
  type: (typeof FINDING_TYPES)[number];
  user: string;
  app_id: string;
  sanction: string;
  severity: number | string;
  status: (typeof FINDING_STATUSES)[number];
  first_seen: string;
  last_seen: string;
  requests: number | string;
  bytes_out: number | string;
  bytes_in: number | string;
  updated_at: string;
}

const COLUMNS = 'id, type, user, app_id, sanction, severity, status, first_seen, last_seen, requests, bytes_out, bytes_in, updated_at';

export const findingsRouter =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const toFinding = (r: FindingDbRow): z.infer<typeof findingSchema> => {
      const catalogApp = deps.catalog.current.get(r.app_id);
      return {
        id: r.id,
        type: r.type,
        user: r.user,
        appId: r.app_id,
        appName: catalogApp?.name ?? null,
        category: catalogApp?.category ?? null,
        sanction: r.sanction,
        severity: Number(r.severity),
        status: r.status,
        firstSeen: isoOut(r.first_seen),
        lastSeen: isoOut(r.last_seen),
        requests: Number(r.requests),
        bytesOut: Number(r.bytes_out),
        bytesIn: Number(r.bytes_in),
        updatedAt: isoOut(r.updated_at),
      };
    };

    app.get(
      '/v1/findings',
      { config: { access: 'viewer' },
        schema: {
          summary: 'List findings, newest activity first (or by severity), with cursor pagination',
          tags: ['findings'],
          querystring: z.strictObject({
            status: z.enum(FINDING_STATUSES).optional(),
            type: z.enum(FINDING_TYPES).optional(),
            app: z.string().min(1).max(64).optional(),
            user: z.string().min(1).max(256).optional(),
            since: isoTime.optional().describe('only findings with activity at or after this time'),
            until: isoTime.optional().describe('only findings with activity before this time'),
            sort: z.enum(['last_seen', 'severity']).default('last_seen'),
            limit: z.coerce.number().int().min(1).max(500).default(50),
            cursor: z.string().max(512).optional(),
          }),
          response: {
            200: z.object({ items: z.array(findingSchema), nextCursor: z.string().nullable() }),
            400: errorSchema,
          },
        },
      },
      async (req) => {
        const q = req.query;
        const where: string[] = [];
        const params: Record<string, unknown> = { limit: q.limit + 1 };
        const filter = (clause: string, name: string, value: unknown) => {
          where.push(clause);
          params[name] = value;
        };
        if (q.status) filter('status = {status:String}', 'status', q.status);
        if (q.type) filter('type = {type:String}', 'type', q.type);
        if (q.app) filter('app_id = {app:String}', 'app', q.app);
        if (q.user) filter('user = {user:String}', 'user', q.user);
        if (q.since) filter("last_seen >= {since:DateTime64(3, 'UTC')}", 'since', q.since);
        if (q.until) filter("first_seen < {until:DateTime64(3, 'UTC')}", 'until', q.until);
        let order: string;
        if (q.sort === 'severity') {
          order = 'severity DESC, last_seen DESC, id DESC';
          if (q.cursor) {
            const [sev, ts, id] = decodeCursor(q.cursor, ['number', 'string', 'string']);
            where.push("(severity, last_seen, id) < ({c_sev:UInt8}, {c_ts:DateTime64(3, 'UTC')}, {c_id:String})");
            Object.assign(params, { c_sev: sev, c_ts: ts, c_id: id });
          }
        } else {
          order = 'last_seen DESC, id DESC';
          if (q.cursor) {
            const [ts, id] = decodeCursor(q.cursor, ['string', 'string']);
            where.push("(last_seen, id) < ({c_ts:DateTime64(3, 'UTC')}, {c_id:String})");
            Object.assign(params, { c_ts: ts, c_id: id });
          }
        }
        const rows = await queryRows<FindingDbRow>(
          deps.client,
          `SELECT ${COLUMNS} FROM findings FINAL ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
           ORDER BY ${order} LIMIT {limit:UInt32}`,
          params,
        );
        const page = rows.slice(0, q.limit);
        const last = page[page.length - 1];
        const nextCursor =
          rows.length > q.limit && last
            ? encodeCursor(q.sort === 'severity' ? [Number(last.severity), last.last_seen, last.id] : [last.last_seen, last.id])
            : null;
        return { items: page.map(toFinding), nextCursor };
      },
    );

    app.get(
      '/v1/findings/:id',
      { config: { access: 'viewer' },
        schema: {
          summary: 'One finding',
          tags: ['findings'],
          params: z.object({ id: z.string().regex(/^[0-9a-f]{24}$/, 'a finding id') }),
          response: { 200: findingSchema, 400: errorSchema, 404: errorSchema },
        },
      },
      async (req) => {
        const rows = await queryRows<FindingDbRow>(deps.client, `SELECT ${COLUMNS} FROM findings FINAL WHERE id = {id:String}`, {
          id: req.params.id,
        });
        const row = rows[0];
        if (!row) throw new HttpError(404, 'not_found', `no finding ${req.params.id}`);
        return toFinding(row);
      },
    );
  };
