import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { queryRows } from '@shadow-ai/clickhouse';
import { SANCTION_STATUSES } from '@shadow-ai/detect';
import type { ApiDeps } from '../deps.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { errorSchema, HttpError } from '../errors.ts';
import { isoOut, isoTime } from '../time-params.ts';

interface UsageDbRow {
  app_id: string;
  users?: number | string;
  days?: number | string;
  requests: number | string;
  blocked: number | string;
  bytes_out: number | string;
  bytes_in: number | string;
  first_seen: string;
  last_seen: string;
}

const usageFields = {
  requests: z.number(),
  blocked: z.number().describe('requests the proxy or resolver blocked'),
  bytesOut: z.number().describe('bytes sent to the app (uploads)'),
  bytesIn: z.number().describe('bytes received from the app'),
  firstSeen: z.string(),
  lastSeen: z.string(),
};

const appUsageSchema = z
  .object({
    appId: z.string(),
    name: z.string().nullable(),
    vendor: z.string().nullable(),
    category: z.string().nullable(),
    sanction: z.enum(SANCTION_STATUSES),
    users: z.number(),
    ...usageFields,
  })
  .meta({ id: 'AppUsage' });

const timeRange = {
  since: isoTime.optional().describe('from this day (UTC) on'),
  until: isoTime.optional().describe('up to and including this day (UTC)'),
};

function dayFilter(q: { since?: string; until?: string }, where: string[], params: Record<string, unknown>): void {
  if (q.since) {
    where.push("day >= toDate({since:DateTime64(3, 'UTC')})");
    params.since = q.since;
  }
  if (q.until) {
    where.push("day <= toDate({until:DateTime64(3, 'UTC')})");
    params.until = q.until;
  }
}

const usageOut = (r: UsageDbRow) => ({
  requests: Number(r.requests),
  blocked: Number(r.blocked),
  bytesOut: Number(r.bytes_out),
  bytesIn: Number(r.bytes_in),
  firstSeen: isoOut(r.first_seen),
  lastSeen: isoOut(r.last_seen),
});

const AGGREGATES = `sum(requests) AS requests, sum(blocked) AS blocked, sum(bytes_out) AS bytes_out,
  sum(bytes_in) AS bytes_in, min(first_seen) AS first_seen, max(last_seen) AS last_seen`;

export const usageRouter =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/apps',
      { config: { access: 'viewer' },
        schema: {
          summary: 'AI apps discovered in the traffic, most used first, with users, volume and sanction status',
          tags: ['apps'],
          querystring: z.strictObject({
            ...timeRange,
            sanction: z.enum(SANCTION_STATUSES).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
            cursor: z.string().max(512).optional(),
          }),
          response: { 200: z.object({ items: z.array(appUsageSchema), nextCursor: z.string().nullable() }), 400: errorSchema },
        },
      },
      async (req) => {
        const q = req.query;
        const where: string[] = [];
        const params: Record<string, unknown> = {};
        dayFilter(q, where, params);
        if (q.sanction) {
          const ids = deps.catalog.current.apps.map((a) => a.id).filter((id) => deps.sanctions.statusOf(id) === q.sanction);
          where.push('app_id IN {sanctioned:Array(String)}');
          params.sanctioned = ids;
        }
        const having: string[] = [];
        if (q.cursor) {
          const [requests, appId] = decodeCursor(q.cursor, ['number', 'string']);
          having.push('(requests, app_id) < ({c_req:UInt64}, {c_app:String})');
          Object.assign(params, { c_req: requests, c_app: appId });
        }
        params.limit = q.limit + 1;
        const rows = await queryRows<UsageDbRow>(
          deps.client,
          `SELECT app_id, uniqExact(user) AS users, ${AGGREGATES}
           FROM usage_daily ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
           GROUP BY app_id ${having.length ? `HAVING ${having.join(' AND ')}` : ''}
           ORDER BY requests DESC, app_id DESC LIMIT {limit:UInt32}`,
          params,
        );
        const page = rows.slice(0, q.limit);
        const last = page[page.length - 1];
        return {
          items: page.map((r) => {
            const a = deps.catalog.current.get(r.app_id);
            return {
              appId: r.app_id,
              name: a?.name ?? null,
              vendor: a?.vendor ?? null,
              category: a?.category ?? null,
              sanction: deps.sanctions.statusOf(r.app_id),
              users: Number(r.users),
              ...usageOut(r),
            };
          }),
          nextCursor: rows.length > q.limit && last ? encodeCursor([Number(last.requests), last.app_id]) : null,
        };
      },
    );

    app.get(
      '/v1/users/:user/usage',
      { config: { access: 'viewer' },
        schema: {
          summary: "One user's AI app usage: totals per app and a daily series",
          tags: ['users'],
          params: z.object({ user: z.string().min(1).max(256) }),
          querystring: z.strictObject(timeRange),
          response: {
            200: z.object({
              user: z.string(),
              apps: z.array(
                z.object({ appId: z.string(), name: z.string().nullable(), sanction: z.enum(SANCTION_STATUSES), days: z.number(), ...usageFields }),
              ),
              daily: z.array(
                z.object({ day: z.string(), appId: z.string(), requests: z.number(), bytesOut: z.number(), bytesIn: z.number() }),
              ),
            }),
            400: errorSchema,
            404: errorSchema,
          },
        },
      },
      async (req) => {
        const where = ['user = {user:String}'];
        const params: Record<string, unknown> = { user: req.params.user };
        dayFilter(req.query, where, params);
        const whereSql = where.join(' AND ');
        const [perApp, daily] = await Promise.all([
          queryRows<UsageDbRow>(
            deps.client,
            `SELECT app_id, uniqExact(day) AS days, ${AGGREGATES} FROM usage_daily WHERE ${whereSql}
             GROUP BY app_id ORDER BY requests DESC, app_id`,
            params,
          ),
          queryRows<{ day: string; app_id: string; requests: number | string; bytes_out: number | string; bytes_in: number | string }>(
            deps.client,
            `SELECT toString(day) AS day, app_id, sum(requests) AS requests, sum(bytes_out) AS bytes_out, sum(bytes_in) AS bytes_in
             FROM usage_daily WHERE ${whereSql} GROUP BY day, app_id ORDER BY day, app_id`,
            params,
          ),
        ]);
        if (perApp.length === 0) throw new HttpError(404, 'not_found', `no AI app usage recorded for user ${req.params.user}`);
        return {
          user: req.params.user,
          apps: perApp.map((r) => ({
            appId: r.app_id,
            name: deps.catalog.current.get(r.app_id)?.name ?? null,
            sanction: deps.sanctions.statusOf(r.app_id),
            days: Number(r.days),
            ...usageOut(r),
          })),
          daily: daily.map((d) => ({
            day: d.day,
            appId: d.app_id,
            requests: Number(d.requests),
            bytesOut: Number(d.bytes_out),
            bytesIn: Number(d.bytes_in),
          })),
        };
      },
    );
  };
