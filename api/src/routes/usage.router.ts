import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { queryRows } from '@shadow-ai/clickhouse';
import { appUsageSql, dailyUsageSql, perAppUsageSql, SANCTION_STATUSES } from '@shadow-ai/detect';
import type { ApiDeps } from '../deps.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { errorSchema, HttpError } from '../errors.ts';
import { isoOut, isoTime } from '../time-params.ts';

export interface UsageDbRow {
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

/** Binds the time range; the SQL that uses it comes from @shadow-ai/detect's shared usage queries. */
function timeParams(q: { since?: string; until?: string }, params: Record<string, unknown>): { since: boolean; until: boolean } {
  if (q.since) params.since = q.since;
  if (q.until) params.until = q.until;
  return { since: Boolean(q.since), until: Boolean(q.until) };
}

/**
 * One page of apps by requests (GET /v1/apps, the console's inventory): the shared SQL, an optional
 * filter on the apps' sanction status, keyset pagination on (requests, app id).
 */
export async function appUsagePage(
  deps: Pick<ApiDeps, 'client' | 'catalog' | 'sanctions'>,
  q: { since?: string; until?: string; sanction?: (typeof SANCTION_STATUSES)[number]; limit: number; cursor?: string },
): Promise<{ rows: UsageDbRow[]; nextCursor: string | null }> {
  const params: Record<string, unknown> = { limit: q.limit + 1 };
  const range = timeParams(q, params);
  if (q.sanction) {
    params.sanctioned = deps.catalog.current.apps.map((a) => a.id).filter((id) => deps.sanctions.statusOf(id) === q.sanction);
  }
  if (q.cursor) {
    const [requests, appId] = decodeCursor(q.cursor, ['number', 'string']);
    Object.assign(params, { c_req: requests, c_app: appId });
  }
  const rows = await queryRows<UsageDbRow>(deps.client, appUsageSql({ ...range, appIds: Boolean(q.sanction), cursor: Boolean(q.cursor) }), params);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: rows.length > q.limit && last ? encodeCursor([Number(last.requests), last.app_id]) : null };
}

export const usageOut = (r: UsageDbRow) => ({
  requests: Number(r.requests),
  blocked: Number(r.blocked),
  bytesOut: Number(r.bytes_out),
  bytesIn: Number(r.bytes_in),
  firstSeen: isoOut(r.first_seen),
  lastSeen: isoOut(r.last_seen),
});

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
        const { rows, nextCursor } = await appUsagePage(deps, req.query);
        return {
          items: rows.map((r) => {
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
          nextCursor,
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
        const params: Record<string, unknown> = { user: req.params.user };
        const filter = { ...timeParams(req.query, params), user: true };
        const [perApp, daily] = await Promise.all([
          queryRows<UsageDbRow>(deps.client, perAppUsageSql(filter), params),
          queryRows<{ day: string; app_id: string; requests: number | string; bytes_out: number | string; bytes_in: number | string }>(
            deps.client,
            dailyUsageSql(filter),
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
