import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { riskScore } from '@shadow-ai/catalog';
import { queryRows } from '@shadow-ai/clickhouse';
import { appUsageSql, dailyUsageSql, dailyUsersSql, FINDING_STATUSES, FINDINGS_VIEW, SANCTION_STATUSES, topUsersSql, usageTotalsSql } from '@shadow-ai/detect';
import type { ApiDeps } from '../deps.ts';
import { ROLES } from '../auth/roles.ts';
import { errorSchema } from '../errors.ts';
import { appUsagePage, usageOut, type UsageDbRow } from './usage.router.ts';

/** Statuses that count as shadow AI in the overview: use nobody approved. `monitored` is tolerated use. */
const UNSANCTIONED = new Set<string>(['unsanctioned', 'blocked']);

/** Findings at or above this severity are called out separately on the overview. */
const HIGH_SEVERITY = 70;

const inventoryItemSchema = z
  .object({
    appId: z.string(),
    name: z.string().nullable(),
    vendor: z.string().nullable(),
    category: z.string().nullable(),
    sanction: z.enum(SANCTION_STATUSES),
    riskScore: z.number().nullable().describe('0–10 from the catalog risk attributes; null for an app no longer in the catalog'),
    users: z.number(),
    requests: z.number(),
    blocked: z.number(),
    bytesOut: z.number(),
    bytesIn: z.number(),
    firstSeen: z.string(),
    lastSeen: z.string(),
  })
  .meta({ id: 'InventoryItem' });

type AppRow = UsageDbRow;

const windowQuery = {
  days: z.coerce.number().int().min(1).max(366).default(30).describe('the window: this many days up to and including today (UTC)'),
};

/** The first day (UTC) of a window of `days` days ending today. */
function windowStart(days: number, now = new Date()): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - (days - 1) * 86_400_000);
  return d.toISOString().slice(0, 10);
}

/** The `since` bound of the shared usage queries (they compare its day) for a window's first day. */
const sinceParam = (day: string) => `${day} 00:00:00.000`;

/** More apps than any catalog holds: the overview and its split by sanction need every app in the window. */
const ALL_APPS = 100_000;

/** The console's landing aggregates, the app inventory with risk, and who the caller is. */
export const overviewRouter =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const inventoryItem = (r: AppRow): z.infer<typeof inventoryItemSchema> => {
      const a = deps.catalog.current.get(r.app_id);
      return {
        appId: r.app_id,
        name: a?.name ?? null,
        vendor: a?.vendor ?? null,
        category: a?.category ?? null,
        sanction: deps.sanctions.statusOf(r.app_id),
        riskScore: a ? riskScore(a.risk) : null,
        users: Number(r.users ?? 0),
        ...usageOut(r),
      };
    };

    app.get(
      '/v1/me',
      {
        config: { access: 'viewer' },
        schema: {
          summary: 'Who the credential is and its role (the console shows only the actions the role allows)',
          tags: ['auth'],
          response: { 200: z.object({ actor: z.string(), role: z.enum(ROLES), via: z.enum(['api-key', 'oidc', 'admin-token', 'local']) }) },
        },
      },
      async (req) => {
        // The auth hook has set the principal for every non-public route.
        const p = req.principal!;
        return { actor: p.actor, role: p.role, via: p.via };
      },
    );

    app.get(
      '/v1/overview',
      {
        config: { access: 'viewer' },
        schema: {
          summary: 'Overview for a window of days: apps, active users, unsanctioned share, a daily trend, top apps and users, findings by status',
          tags: ['apps'],
          querystring: z.strictObject(windowQuery),
          response: {
            200: z.object({
              since: z.string().describe('first day of the window (UTC)'),
              days: z.number(),
              apps: z.number().describe('AI apps used in the window'),
              unsanctionedApps: z.number(),
              users: z.number().describe('users with AI app use in the window'),
              requests: z.number(),
              unsanctionedRequests: z.number().describe('requests to unsanctioned or blocked apps (organisation-wide decision)'),
              unsanctionedShare: z.number().min(0).max(1),
              bytesOut: z.number(),
              daily: z.array(z.object({ day: z.string(), requests: z.number(), unsanctionedRequests: z.number(), users: z.number() })),
              topApps: z.array(inventoryItemSchema),
              topUsers: z.array(z.object({ user: z.string(), requests: z.number(), apps: z.number(), bytesOut: z.number() })),
              findings: z.object({
                byStatus: z.record(z.enum(FINDING_STATUSES), z.number()),
                highSeverityOpen: z.number().describe(`open findings with severity ≥ ${HIGH_SEVERITY}`),
              }),
            }),
            400: errorSchema,
          },
        },
      },
      async (req) => {
        const days = req.query.days;
        const since = windowStart(days);
        // The same SQL as GET /v1/apps and the Grafana panels (detect/src/queries), bound to this window.
        const params = { since: sinceParam(since) };
        const [perApp, perDayApp, perDayUsers, users, topUsers, findings] = await Promise.all([
          queryRows<AppRow>(deps.client, appUsageSql({ since: true }), { ...params, limit: ALL_APPS }),
          queryRows<{ day: string; app_id: string; requests: number | string }>(deps.client, dailyUsageSql({ since: true }), params),
          queryRows<{ day: string; users: number | string }>(deps.client, dailyUsersSql({ since: true }), params),
          queryRows<{ users: number | string }>(deps.client, usageTotalsSql({ since: true }), params),
          queryRows<{ user: string; requests: number | string; apps: number | string; bytes_out: number | string }>(
            deps.client,
            topUsersSql({ since: true }),
            { ...params, limit: 10 },
          ),
          queryRows<{ status: (typeof FINDING_STATUSES)[number]; n: number | string; high: number | string }>(
            deps.client,
            `SELECT status, count() AS n, countIf(severity >= {high:UInt8}) AS high FROM (${FINDINGS_VIEW}) GROUP BY status`,
            { high: HIGH_SEVERITY },
          ),
        ]);
        // Sanction status is decided in the process (decisions, expiries, defaults file), not in the store,
        // so the split into unsanctioned use happens here over the per-app rows (one per app, a few hundred at most).
        const unsanctioned = (appId: string) => UNSANCTIONED.has(deps.sanctions.statusOf(appId));
        const requests = perApp.reduce((n, r) => n + Number(r.requests), 0);
        const unsanctionedRequests = perApp.reduce((n, r) => n + (unsanctioned(r.app_id) ? Number(r.requests) : 0), 0);
        const daily = new Map<string, { day: string; requests: number; unsanctionedRequests: number; users: number }>();
        for (const r of perDayUsers) daily.set(r.day, { day: r.day, requests: 0, unsanctionedRequests: 0, users: Number(r.users) });
        for (const r of perDayApp) {
          const d = daily.get(r.day) ?? { day: r.day, requests: 0, unsanctionedRequests: 0, users: 0 };
          d.requests += Number(r.requests);
          if (unsanctioned(r.app_id)) d.unsanctionedRequests += Number(r.requests);
          daily.set(r.day, d);
        }
        const byStatus = Object.fromEntries(FINDING_STATUSES.map((s) => [s, 0])) as Record<(typeof FINDING_STATUSES)[number], number>;
        let highSeverityOpen = 0;
        for (const f of findings) {
          byStatus[f.status] = Number(f.n);
          if (f.status === 'open') highSeverityOpen = Number(f.high);
        }
        return {
          since,
          days,
          apps: perApp.length,
          unsanctionedApps: perApp.filter((r) => unsanctioned(r.app_id)).length,
          users: Number(users[0]?.users ?? 0),
          requests,
          unsanctionedRequests,
          unsanctionedShare: requests === 0 ? 0 : unsanctionedRequests / requests,
          bytesOut: perApp.reduce((n, r) => n + Number(r.bytes_out), 0),
          daily: [...daily.values()].sort((a, b) => a.day.localeCompare(b.day)),
          topApps: perApp.slice(0, 10).map(inventoryItem),
          topUsers: topUsers.map((u) => ({ user: u.user, requests: Number(u.requests), apps: Number(u.apps), bytesOut: Number(u.bytes_out) })),
          findings: { byStatus, highSeverityOpen },
        };
      },
    );

    app.get(
      '/v1/inventory',
      {
        config: { access: 'viewer' },
        schema: {
          summary: 'AI app inventory: usage in a window with risk score and sanction status, most used first, cursor pagination',
          tags: ['apps'],
          querystring: z.strictObject({
            ...windowQuery,
            sanction: z.enum(SANCTION_STATUSES).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(50),
            cursor: z.string().max(512).optional(),
          }),
          response: { 200: z.object({ items: z.array(inventoryItemSchema), nextCursor: z.string().nullable() }), 400: errorSchema },
        },
      },
      async (req) => {
        const { days, ...page } = req.query;
        const { rows, nextCursor } = await appUsagePage(deps, { ...page, since: sinceParam(windowStart(days)) });
        return {
          items: rows.map(inventoryItem),
          nextCursor,
        };
      },
    );
  };
