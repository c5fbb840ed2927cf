import type { ClickHouseClient } from '@clickhouse/client';
import { riskScore, type Catalog } from '@shadow-ai/catalog';
import { queryRows } from '@shadow-ai/clickhouse';
import { fromClickHouseTime } from '@shadow-ai/core';
import type { Sanctions, SanctionStatus } from '../sanctions.ts';
import { FINDINGS_VIEW } from '../triage.ts';

export const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** A calendar month in UTC: [from, to) as dates and its neighbours. */
export interface MonthRange {
  month: string;
  /** first day, YYYY-MM-DD */
  from: string;
  /** first day of the next month, YYYY-MM-DD (exclusive) */
  to: string;
  days: number;
}

export type MonthCheck = { ok: true; range: MonthRange } | { ok: false; reason: string };

const pad = (n: number) => String(n).padStart(2, '0');

export function monthRange(month: string): MonthRange {
  const m = MONTH_PATTERN.exec(month);
  if (!m) throw new Error(`not a month: ${month}`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const next = mo === 12 ? { y: y + 1, mo: 1 } : { y, mo: mo + 1 };
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return { month, from: `${y}-${pad(mo)}-01`, to: `${next.y}-${pad(next.mo)}-01`, days };
}

export function previousMonth(month: string): string {
  const r = monthRange(month);
  const d = new Date(`${r.from}T00:00:00Z`);
  d.setUTCDate(0);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;
}

export function monthOf(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}`;
}

/** A month a report can be made for: well formed, and not after the current month (which is partial). */
export function checkMonth(month: string, now: Date = new Date()): MonthCheck {
  if (!MONTH_PATTERN.test(month)) return { ok: false, reason: `month must be YYYY-MM (e.g. ${monthOf(now)}), got "${month.slice(0, 40)}"` };
  // Before 1970 there was no shadow AI, and the date arithmetic below would leave the epoch's range.
  if (month < '1970-01') return { ok: false, reason: `month ${month} is before 1970-01` };
  if (month > monthOf(now)) return { ok: false, reason: `month ${month} is in the future (now is ${monthOf(now)})` };
  return { ok: true, range: monthRange(month) };
}

export const UNSANCTIONED: readonly SanctionStatus[] = ['unsanctioned', 'blocked'];

export interface PeriodTotals {
  apps: number;
  activeUsers: number;
  events: number;
  bytesOut: number;
  unsanctionedEvents: number;
  /** unsanctioned (incl. blocked) events / all events, 0..1; 0 when there were none */
  unsanctionedShare: number;
}

export interface AppRow {
  appId: string;
  name: string;
  vendor: string | null;
  category: string | null;
  sanction: SanctionStatus;
  /** catalog risk score 0–10; null for an app the catalog no longer has */
  risk: number | null;
  users: number;
  events: number;
  blocked: number;
  bytesOut: number;
  bytesIn: number;
}

export interface DayPoint {
  day: string;
  events: number;
  users: number;
}

export interface CountBy {
  key: string;
  count: number;
}

export interface MonthlyReport {
  kind: 'shadow-ai-monthly-report';
  month: string;
  previousMonth: string;
  period: { from: string; to: string };
  generatedAt: string;
  /** the time whose sanction statuses the report uses: the end of the month (the generation time without history) */
  sanctionsAsOf: string;
  catalogVersion: string;
  summary: {
    current: PeriodTotals;
    previous: PeriodTotals;
    /** relative change vs the previous month (0.25 = +25 %); null when the previous month had none */
    change: { apps: number | null; activeUsers: number | null; events: number | null; bytesOut: number | null; unsanctionedEvents: number | null };
    newApps: number;
    findingsOpened: number;
    findingsResolved: number;
  };
  /** AI apps used this month, most users first */
  apps: AppRow[];
  /** apps whose first use anywhere in the organisation falls in this month */
  newApps: (Pick<AppRow, 'appId' | 'name' | 'category' | 'sanction' | 'risk' | 'users' | 'events'> & { firstSeen: string })[];
  /** daily unsanctioned (incl. blocked) use, every day of both months (zeros included) */
  unsanctionedTrend: { current: DayPoint[]; previous: DayPoint[] };
  topUnsanctionedUsers: { user: string; apps: string[]; events: number; bytesOut: number }[];
  /** bytes sent to each AI app this month, largest first (apps with no upload left out) */
  uploads: { appId: string; name: string; sanction: SanctionStatus; users: number; bytesOut: number }[];
  findings: {
    /** findings first seen this month */
    opened: number;
    /** findings moved to resolved this month (by triage time) */
    resolved: number;
    /** of those opened this month, how many are still open or acknowledged now */
    stillOpen: number;
    openedByType: CountBy[];
    openedBySeverity: CountBy[];
    resolvedByType: CountBy[];
    resolvedBySeverity: CountBy[];
  };
  agents: {
    registered: number;
    expired: number;
    /** registered without a sponsor */
    orphaned: number;
    /** registered agents with AI traffic this month */
    seen: number;
    /** unregistered-agent findings active this month */
    unregisteredSeen: number;
    items: { identity: string; kind: string; sponsor: string; expiresAt: string | null; status: 'active' | 'expired' | 'orphaned'; events: number; apps: string[] }[];
  };
  notes: string[];
}

export const SEVERITY_BANDS = [
  { key: 'critical (80-100)', min: 80 },
  { key: 'high (60-79)', min: 60 },
  { key: 'medium (40-59)', min: 40 },
  { key: 'low (0-39)', min: 0 },
] as const;

export function severityBand(severity: number): string {
  return SEVERITY_BANDS.find((b) => severity >= b.min)!.key;
}

export interface ReportDeps {
  client: ClickHouseClient;
  /** the catalog in force (shipped + custom apps) */
  catalog: () => Catalog;
  sanctions: Sanctions;
  /** The statuses as they stood at a past time (SanctionStore.asOf); without it, `sanctions` as they are now. */
  sanctionsAt?: (at: Date) => Promise<Sanctions>;
  now?: () => Date;
}

type Num = number | string;
const n = (v: Num | null | undefined) => Number(v ?? 0);

function change(cur: number, prev: number): number | null {
  if (prev === 0) return null;
  return Math.round(((cur - prev) / prev) * 10_000) / 10_000;
}

function countBy(keys: string[], order?: readonly string[]): CountBy[] {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  const rank = (k: string) => order?.indexOf(k) ?? 0;
  return [...m.entries()].map(([key, count]) => ({ key, count })).sort((a, b) => rank(a.key) - rank(b.key) || b.count - a.count || a.key.localeCompare(b.key));
}

const BAND_ORDER: readonly string[] = SEVERITY_BANDS.map((b) => b.key);

function everyDay(r: MonthRange, rows: { day: string; events: Num; users: Num }[]): DayPoint[] {
  const byDay = new Map(rows.map((x) => [x.day, x]));
  const out: DayPoint[] = [];
  for (let d = 1; d <= r.days; d++) {
    const day = `${r.from.slice(0, 8)}${pad(d)}`;
    const x = byDay.get(day);
    out.push({ day, events: n(x?.events), users: n(x?.users) });
  }
  return out;
}

/**
 * Computes the monthly report from the usage aggregates, findings and agent registry. Sanction status is
 * the one in force at the end of the month (with `sanctionsAt`; both months are judged by it, so the
 * trend compares like with like); risk is the catalog's when the report is made.
 */
export async function buildMonthlyReport(deps: ReportDeps, month: string): Promise<MonthlyReport> {
  const now = deps.now?.() ?? new Date();
  const checked = checkMonth(month, now);
  if (!checked.ok) throw new Error(checked.reason);
  const cur = checked.range;
  const prev = monthRange(previousMonth(month));
  const catalog = deps.catalog();
  const monthEnd = new Date(`${cur.to}T00:00:00.000Z`);
  const sanctionsAsOf = new Date(Math.min(monthEnd.getTime() - 1, now.getTime()));
  const sanctions = deps.sanctionsAt ? await deps.sanctionsAt(sanctionsAsOf) : deps.sanctions;
  const statusOf = (appId: string) => sanctions.statusOf(appId);
  const isUnsanctioned = (appId: string) => UNSANCTIONED.includes(statusOf(appId));

  const perApp = (r: MonthRange) =>
    queryRows<{ app_id: string; users: Num; events: Num; blocked: Num; bytes_out: Num; bytes_in: Num }>(
      deps.client,
      `SELECT app_id, uniqExact(user) AS users, sum(requests) AS events, sum(blocked) AS blocked,
              sum(bytes_out) AS bytes_out, sum(bytes_in) AS bytes_in
       FROM usage_daily WHERE day >= {from:Date} AND day < {to:Date} AND app_id != ''
       GROUP BY app_id`,
      { from: r.from, to: r.to },
    );
  const activeUsers = async (r: MonthRange) =>
    n(
      (
        await queryRows<{ users: Num }>(
          deps.client,
          `SELECT uniqExact(user) AS users FROM usage_daily WHERE day >= {from:Date} AND day < {to:Date} AND app_id != ''`,
          { from: r.from, to: r.to },
        )
      )[0]?.users,
    );

  const [curApps, prevApps, curUsers, prevUsers] = await Promise.all([perApp(cur), perApp(prev), activeUsers(cur), activeUsers(prev)]);
  const totals = (rows: typeof curApps, users: number): PeriodTotals => {
    const events = rows.reduce((s, r) => s + n(r.events), 0);
    const unsanctionedEvents = rows.filter((r) => isUnsanctioned(r.app_id)).reduce((s, r) => s + n(r.events), 0);
    return {
      apps: rows.length,
      activeUsers: users,
      events,
      bytesOut: rows.reduce((s, r) => s + n(r.bytes_out), 0),
      unsanctionedEvents,
      unsanctionedShare: events === 0 ? 0 : Math.round((unsanctionedEvents / events) * 10_000) / 10_000,
    };
  };
  const current = totals(curApps, curUsers);
  const previous = totals(prevApps, prevUsers);

  const apps: AppRow[] = curApps
    .map((r) => {
      const a = catalog.get(r.app_id);
      return {
        appId: r.app_id,
        name: a?.name ?? r.app_id,
        vendor: a?.vendor ?? null,
        category: a?.category ?? null,
        sanction: statusOf(r.app_id),
        risk: a ? riskScore(a.risk) : null,
        users: n(r.users),
        events: n(r.events),
        blocked: n(r.blocked),
        bytesOut: n(r.bytes_out),
        bytesIn: n(r.bytes_in),
      };
    })
    .sort((x, y) => y.users - x.users || y.events - x.events || x.appId.localeCompare(y.appId));
  const appById = new Map(apps.map((a) => [a.appId, a]));

  // Unsanctioned apps are decided here (sanctions live in the process), so the SQL gets them as a bound array.
  const unsanctionedIds = [...new Set([...curApps, ...prevApps].map((r) => r.app_id))].filter(isUnsanctioned);

  const [firstSeen, trend, topUsers, opened, resolved, agentRows, unregistered] = await Promise.all([
    queryRows<{ app_id: string; first_seen: string }>(
      deps.client,
      `SELECT app_id, min(first_seen) AS first_seen FROM usage_daily WHERE app_id IN {ids:Array(String)}
       GROUP BY app_id HAVING first_seen >= toDateTime64({from:Date}, 3, 'UTC')`,
      { ids: apps.map((a) => a.appId), from: cur.from },
    ),
    // The day comes back as text under another name: aliasing it `day` would shadow the column in WHERE.
    queryRows<{ d: string; events: Num; users: Num }>(
      deps.client,
      `SELECT toString(day) AS d, sum(requests) AS events, uniqExact(user) AS users FROM usage_daily
       WHERE day >= {from:Date} AND day < {to:Date} AND app_id IN {ids:Array(String)} GROUP BY day ORDER BY day`,
      { from: prev.from, to: cur.to, ids: unsanctionedIds },
    ),
    queryRows<{ user: string; apps: string[]; events: Num; bytes_out: Num }>(
      deps.client,
      `SELECT user, arraySort(groupUniqArray(app_id)) AS apps, sum(requests) AS events, sum(bytes_out) AS bytes_out FROM usage_daily
       WHERE day >= {from:Date} AND day < {to:Date} AND app_id IN {ids:Array(String)}
       GROUP BY user ORDER BY events DESC, user LIMIT 25`,
      { from: cur.from, to: cur.to, ids: unsanctionedIds },
    ),
    queryRows<{ type: string; severity: Num; status: string }>(
      deps.client,
      `SELECT type, severity, status FROM (${FINDINGS_VIEW})
       WHERE first_seen >= toDateTime64({from:Date}, 3, 'UTC') AND first_seen < toDateTime64({to:Date}, 3, 'UTC')`,
      { from: cur.from, to: cur.to },
    ),
    queryRows<{ type: string; severity: Num }>(
      deps.client,
      `SELECT type, severity FROM (${FINDINGS_VIEW}) WHERE id IN (
         SELECT finding_id FROM finding_history WHERE to_status = 'resolved'
         AND ts >= toDateTime64({from:Date}, 3, 'UTC') AND ts < toDateTime64({to:Date}, 3, 'UTC'))`,
      { from: cur.from, to: cur.to },
    ),
    queryRows<{ identity: string; kind: string; sponsor: string; expires_at: string | null; events: Num; apps: string[] }>(
      deps.client,
      `SELECT a.identity AS identity, a.kind AS kind, a.sponsor AS sponsor, a.expires_at AS expires_at,
              ifNull(u.events, 0) AS events, ifNull(u.apps, []) AS apps
       FROM (SELECT identity, kind, sponsor, expires_at FROM agents FINAL WHERE deleted = 0) AS a
       LEFT JOIN (SELECT user, sum(requests) AS events, arraySort(groupUniqArray(app_id)) AS apps FROM usage_daily
                  WHERE day >= {from:Date} AND day < {to:Date} AND app_id != '' GROUP BY user) AS u ON u.user = a.identity
       ORDER BY identity`,
      { from: cur.from, to: cur.to },
    ),
    queryRows<{ n: Num }>(
      deps.client,
      `SELECT count() AS n FROM (${FINDINGS_VIEW}) WHERE type = 'unregistered-agent'
       AND last_seen >= toDateTime64({from:Date}, 3, 'UTC') AND first_seen < toDateTime64({to:Date}, 3, 'UTC')`,
      { from: cur.from, to: cur.to },
    ),
  ]);

  const newApps = firstSeen
    .map((r) => {
      const a = appById.get(r.app_id)!;
      return { appId: a.appId, name: a.name, category: a.category, sanction: a.sanction, risk: a.risk, users: a.users, events: a.events, firstSeen: fromClickHouseTime(r.first_seen) };
    })
    .sort((x, y) => x.firstSeen.localeCompare(y.firstSeen) || x.appId.localeCompare(y.appId));

  const endOfMonth = Date.parse(`${cur.to}T00:00:00Z`);
  const agentItems = agentRows.map((r) => {
    const expiresAt = r.expires_at ? fromClickHouseTime(r.expires_at) : null;
    const status: 'active' | 'expired' | 'orphaned' = expiresAt && Date.parse(expiresAt) < endOfMonth ? 'expired' : r.sponsor === '' ? 'orphaned' : 'active';
    return { identity: r.identity, kind: r.kind, sponsor: r.sponsor, expiresAt, status, events: n(r.events), apps: r.apps };
  });

  const days = trend.map((t) => ({ day: t.d, events: t.events, users: t.users }));
  const trendCur = days.filter((t) => t.day >= cur.from);
  const trendPrev = days.filter((t) => t.day < cur.from);
  return {
    kind: 'shadow-ai-monthly-report',
    month,
    previousMonth: prev.month,
    period: { from: `${cur.from}T00:00:00.000Z`, to: `${cur.to}T00:00:00.000Z` },
    generatedAt: now.toISOString(),
    sanctionsAsOf: (deps.sanctionsAt ? sanctionsAsOf : now).toISOString(),
    catalogVersion: catalog.version,
    summary: {
      current,
      previous,
      change: {
        apps: change(current.apps, previous.apps),
        activeUsers: change(current.activeUsers, previous.activeUsers),
        events: change(current.events, previous.events),
        bytesOut: change(current.bytesOut, previous.bytesOut),
        unsanctionedEvents: change(current.unsanctionedEvents, previous.unsanctionedEvents),
      },
      newApps: newApps.length,
      findingsOpened: opened.length,
      findingsResolved: resolved.length,
    },
    apps,
    newApps,
    unsanctionedTrend: { current: everyDay(cur, trendCur), previous: everyDay(prev, trendPrev) },
    topUnsanctionedUsers: topUsers.map((u) => ({ user: u.user, apps: u.apps, events: n(u.events), bytesOut: n(u.bytes_out) })),
    uploads: apps
      .filter((a) => a.bytesOut > 0)
      .map((a) => ({ appId: a.appId, name: a.name, sanction: a.sanction, users: a.users, bytesOut: a.bytesOut }))
      .sort((x, y) => y.bytesOut - x.bytesOut || x.appId.localeCompare(y.appId)),
    findings: {
      opened: opened.length,
      resolved: resolved.length,
      stillOpen: opened.filter((f) => f.status === 'open' || f.status === 'acknowledged').length,
      openedByType: countBy(opened.map((f) => f.type)),
      openedBySeverity: countBy(opened.map((f) => severityBand(n(f.severity))), BAND_ORDER),
      resolvedByType: countBy(resolved.map((f) => f.type)),
      resolvedBySeverity: countBy(resolved.map((f) => severityBand(n(f.severity))), BAND_ORDER),
    },
    agents: {
      registered: agentItems.length,
      expired: agentItems.filter((a) => a.status === 'expired').length,
      orphaned: agentItems.filter((a) => a.sponsor === '').length,
      seen: agentItems.filter((a) => a.events > 0).length,
      unregisteredSeen: n(unregistered[0]?.n),
      items: agentItems,
    },
    notes: [
      deps.sanctionsAt
        ? 'Times are UTC. Sanction status is the one in force at the end of the month (decisions made through the API, from the audit log; the sanctions file as it is now); risk as of generation.'
        : 'Times are UTC. Sanction status and risk are those in force when the report was generated.',
      'Unsanctioned use counts apps whose organisation-wide status is unsanctioned or blocked.',
      'Findings opened: first seen in the month. Findings resolved: moved to resolved during the month.',
    ],
  };
}
