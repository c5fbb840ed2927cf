/**
 * The SQL behind the usage answers, shared by the API routes and the Grafana dashboards so the two
 * cannot drift. Every value comes in as a ClickHouse bound parameter (`{name:Type}`); the API binds
 * them, and dashboards/grafana/build.ts substitutes each one with a Grafana macro or variable.
 * Builders take which filters apply and return the SQL; callers supply the parameter values.
 */
import { FINDINGS_VIEW } from '../triage.ts';

/** The bound parameters, by name: the only placeholders these queries contain. */
export const QUERY_PARAMS = {
  since: "{since:DateTime64(3, 'UTC')}",
  until: "{until:DateTime64(3, 'UTC')}",
  user: '{user:String}',
  app: '{app:String}',
  appIds: '{sanctioned:Array(String)}',
  limit: '{limit:UInt32}',
} as const;

export interface UsageFilter {
  /** from this day (UTC) on: binds `since` */
  since?: boolean;
  /** up to and including this day (UTC): binds `until` */
  until?: boolean;
  /** one user: binds `user` */
  user?: boolean;
  /** one app: binds `app` */
  app?: boolean;
}

const P = QUERY_PARAMS;

/** WHERE conditions on usage_daily (day granularity, as the API has always filtered). */
export function usageConditions(f: UsageFilter): string[] {
  const where: string[] = [];
  if (f.user) where.push(`user = ${P.user}`);
  if (f.app) where.push(`app_id = ${P.app}`);
  if (f.since) where.push(`day >= toDate(${P.since})`);
  if (f.until) where.push(`day <= toDate(${P.until})`);
  return where;
}

const whereClause = (conditions: string[]) => (conditions.length ? `WHERE ${conditions.join(' AND ')}` : '');

export const USAGE_AGGREGATES = `sum(requests) AS requests, sum(blocked) AS blocked, sum(bytes_out) AS bytes_out,
  sum(bytes_in) AS bytes_in, min(first_seen) AS first_seen, max(last_seen) AS last_seen`;

/**
 * `GET /v1/apps`: apps by requests, most used first; keyset-paginated on (requests, app_id).
 * Two parts joined by app: the totals, which the `by_app_day` projection of usage_daily answers from one
 * row per (day, app) (migration 0016), and the exact distinct users, which need the (day, user, app) rows.
 * One query with both would read every base row for the sums too: about twice the time.
 */
export function appUsageSql(f: UsageFilter & { appIds?: boolean; cursor?: boolean }): string {
  const where = usageConditions(f);
  if (f.appIds) where.push(`app_id IN ${P.appIds}`);
  const having = f.cursor ? 'HAVING (requests, app_id) < ({c_req:UInt64}, {c_app:String})' : '';
  return `SELECT t.app_id AS app_id, u.users AS users, t.requests AS requests, t.blocked AS blocked, t.bytes_out AS bytes_out,
  t.bytes_in AS bytes_in, t.first_seen AS first_seen, t.last_seen AS last_seen
FROM (
  SELECT app_id, ${USAGE_AGGREGATES}
  FROM usage_daily ${whereClause(where)}
  GROUP BY app_id ${having}
  ORDER BY requests DESC, app_id DESC LIMIT ${P.limit}
) AS t
LEFT JOIN (
  SELECT app_id, uniqExact(user) AS users FROM usage_daily ${whereClause(where)} GROUP BY app_id
) AS u ON u.app_id = t.app_id
ORDER BY requests DESC, app_id DESC`;
}

/** `GET /v1/users/{user}/usage`: totals per app for the filtered rows. */
export function perAppUsageSql(f: UsageFilter): string {
  return `SELECT app_id, uniqExact(day) AS days, ${USAGE_AGGREGATES}
FROM usage_daily ${whereClause(usageConditions(f))}
GROUP BY app_id ORDER BY requests DESC, app_id`;
}

/** `GET /v1/users/{user}/usage` daily series: one row per (day, app). `day` is a Date ('YYYY-MM-DD' in JSON). */
export function dailyUsageSql(f: UsageFilter): string {
  return `SELECT day, app_id, sum(requests) AS requests, sum(bytes_out) AS bytes_out, sum(bytes_in) AS bytes_in
FROM usage_daily ${whereClause(usageConditions(f))}
GROUP BY day, app_id ORDER BY day, app_id`;
}

/** Distinct users per day. `day` is a Date ('YYYY-MM-DD' in JSON). */
export function dailyUsersSql(f: UsageFilter): string {
  return `SELECT day, uniqExact(user) AS users
FROM usage_daily ${whereClause(usageConditions(f))}
GROUP BY day ORDER BY day`;
}

/** Headline numbers: requests, distinct users and apps, bytes uploaded. */
export function usageTotalsSql(f: UsageFilter): string {
  return `SELECT sum(requests) AS requests, uniqExact(user) AS users, uniqExact(app_id) AS apps,
  sum(bytes_out) AS bytes_out, sum(blocked) AS blocked
FROM usage_daily ${whereClause(usageConditions(f))}`;
}

/**
 * (user, app) pairs the detector judged unsanctioned for that user. Sanction decisions live in the
 * service (file + overrides, scoped per user or group), not in one table, so SQL reads the verdict the
 * detector stored on `unsanctioned-app` findings; it is as fresh as the detector's last evaluation.
 */
export const UNSANCTIONED_PAIRS_SQL = `SELECT user, app_id FROM (${FINDINGS_VIEW})
WHERE type = 'unsanctioned-app' AND sanction IN ('unsanctioned', 'blocked')`;

/** Share (0–1) of requests and of users that went to apps unsanctioned for them. */
export function unsanctionedShareSql(f: UsageFilter): string {
  return `SELECT sumIf(requests, (user, app_id) IN (${UNSANCTIONED_PAIRS_SQL})) / greatest(sum(requests), 1) AS unsanctioned_requests_share,
  uniqExactIf(user, (user, app_id) IN (${UNSANCTIONED_PAIRS_SQL})) / greatest(uniqExact(user), 1) AS unsanctioned_users_share
FROM usage_daily ${whereClause(usageConditions(f))}`;
}

/** Users by requests; with `unsanctionedOnly`, only their use of apps unsanctioned for them. */
export function topUsersSql(f: UsageFilter & { unsanctionedOnly?: boolean }): string {
  const where = usageConditions(f);
  if (f.unsanctionedOnly) where.push(`(user, app_id) IN (${UNSANCTIONED_PAIRS_SQL})`);
  return `SELECT user, uniqExact(app_id) AS apps, groupUniqArray(app_id) AS app_ids, ${USAGE_AGGREGATES}
FROM usage_daily ${whereClause(where)}
GROUP BY user ORDER BY requests DESC, user LIMIT ${P.limit}`;
}

/** Apps seen in usage, for pickers. */
export const USAGE_APPS_SQL = 'SELECT DISTINCT app_id FROM usage_daily ORDER BY app_id';

/** Users of an app, for pickers. */
export const APP_USERS_SQL = `SELECT DISTINCT user FROM usage_daily WHERE app_id = ${P.app} ORDER BY user`;

export interface FindingsFilter {
  /** findings active at or after `since` (last seen) */
  since?: boolean;
  /** findings that started at or before `until` (first seen) */
  until?: boolean;
  user?: boolean;
  app?: boolean;
}

/** WHERE conditions on FINDINGS_VIEW. */
export function findingsConditions(f: FindingsFilter): string[] {
  const where: string[] = [];
  if (f.user) where.push(`user = ${P.user}`);
  if (f.app) where.push(`app_id = ${P.app}`);
  if (f.since) where.push(`last_seen >= ${P.since}`);
  if (f.until) where.push(`first_seen <= ${P.until}`);
  return where;
}

/** Severity bands, highest first; the same cut-offs the monthly report uses. */
export const SEVERITY_BAND_SQL = `multiIf(severity >= 80, 'critical', severity >= 60, 'high', severity >= 40, 'medium', 'low')`;

export function findingsBySeveritySql(f: FindingsFilter): string {
  return `SELECT ${SEVERITY_BAND_SQL} AS band, count() AS findings, countIf(status = 'open') AS open
FROM (${FINDINGS_VIEW}) ${whereClause(findingsConditions(f))}
GROUP BY band ORDER BY min(severity) DESC`;
}

export function findingsByTypeSql(f: FindingsFilter): string {
  return `SELECT type, count() AS findings, countIf(status = 'open') AS open, max(severity) AS max_severity
FROM (${FINDINGS_VIEW}) ${whereClause(findingsConditions(f))}
GROUP BY type ORDER BY findings DESC, type`;
}

/** Newest findings first, with their triage state. */
export function newestFindingsSql(f: FindingsFilter): string {
  return `SELECT id, type, user, app_id, sanction, severity, status, assignee, first_seen, last_seen, requests, bytes_out
FROM (${FINDINGS_VIEW}) ${whereClause(findingsConditions(f))}
ORDER BY last_seen DESC, id LIMIT ${P.limit}`;
}
