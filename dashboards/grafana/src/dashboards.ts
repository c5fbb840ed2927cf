/**
 * The Grafana dashboards, built from the shared query definitions in @shadow-ai/detect. A panel's SQL is
 * the API's SQL with its bound parameters replaced (grafana-sql.ts); where a panel needs another shape
 * (a `time` column for time series) the shared query is wrapped as a subquery, never rewritten.
 */
import {
  APP_USERS_SQL,
  appUsageSql,
  dailyUsageSql,
  findingsBySeveritySql,
  findingsByTypeSql,
  newestFindingsSql,
  perAppUsageSql,
  topUsersSql,
  unsanctionedShareSql,
  USAGE_APPS_SQL,
  usageTotalsSql,
} from '@shadow-ai/detect';
import { toGrafanaSql } from './grafana-sql.ts';

export const PLUGIN_ID = 'grafana-clickhouse-datasource';
/** The uid the provisioned datasource gets (provisioning/datasources/clickhouse.yaml). */
export const DATASOURCE_UID = 'shadow-ai-clickhouse';
/** Plugin major the targets are written for: v4 reads `editorType`/`queryType` and skips its v3 migration. */
export const PLUGIN_VERSION = '4.0.0';
/** Dashboard JSON model version written; Grafana migrates older models on load, never newer ones. */
export const SCHEMA_VERSION = 39;

/** Grafana's `format` numbers for the plugin's query types (table 1, time series 0). */
const FORMAT = { table: 1, timeSeries: 0 } as const;

type PanelType = 'stat' | 'timeseries' | 'table' | 'barchart' | 'piechart';

export interface PanelDef {
  title: string;
  type: PanelType;
  queryType: keyof typeof FORMAT;
  /** Grafana SQL (macros and variables in place of the API's bound parameters) */
  sql: string;
  /** columns the query returns, in order: checked against the store by the tests */
  columns: string[];
  w: number;
  h: number;
  unit?: string;
  description?: string;
}

export interface VariableDef {
  name: string;
  label: string;
  sql: string;
}

export interface DashboardDef {
  uid: string;
  title: string;
  file: string;
  description: string;
  variables: VariableDef[];
  panels: PanelDef[];
}

const range = { since: true, until: true } as const;
const wrapDaily = (inner: string, metrics: string) =>
  `SELECT toDateTime(day, 'UTC') AS time, ${metrics}\nFROM (${inner})\nORDER BY time`;

const USAGE_COLUMNS = ['requests', 'blocked', 'bytes_out', 'bytes_in', 'first_seen', 'last_seen'];
const FINDING_COLUMNS = ['id', 'type', 'user', 'app_id', 'sanction', 'severity', 'status', 'assignee', 'first_seen', 'last_seen', 'requests', 'bytes_out'];

const totals = (filter: { app?: boolean }, metric: 'requests' | 'users' | 'apps' | 'bytes_out', title: string, unit?: string): PanelDef => ({
  title,
  type: 'stat',
  queryType: 'table',
  sql: `SELECT ${metric}\nFROM (${toGrafanaSql(usageTotalsSql({ ...range, ...filter }))})`,
  columns: [metric],
  w: 6,
  h: 4,
  ...(unit ? { unit } : {}),
});

const overview: DashboardDef = {
  uid: 'shadow-ai-overview',
  title: 'Shadow AI overview',
  file: 'shadow-ai-overview.json',
  description: 'AI app usage and findings from Shadow AI Watch; the same SQL as GET /v1/apps, /v1/users/{user}/usage and /v1/findings.',
  variables: [],
  panels: [
    totals({}, 'requests', 'AI requests'),
    totals({}, 'users', 'Users of AI apps'),
    totals({}, 'apps', 'AI apps in use'),
    {
      title: 'Unsanctioned share of requests',
      description: 'Requests to apps unsanctioned for the user, as judged by the detector (unsanctioned-app findings).',
      type: 'stat',
      queryType: 'table',
      sql: toGrafanaSql(unsanctionedShareSql(range)),
      columns: ['unsanctioned_requests_share', 'unsanctioned_users_share'],
      unit: 'percentunit',
      w: 6,
      h: 4,
    },
    {
      title: 'Requests per day by app',
      type: 'timeseries',
      queryType: 'timeSeries',
      sql: wrapDaily(toGrafanaSql(dailyUsageSql(range)), 'app_id, requests'),
      columns: ['time', 'app_id', 'requests'],
      w: 24,
      h: 9,
    },
    {
      title: 'Top AI apps',
      type: 'table',
      queryType: 'table',
      sql: toGrafanaSql(appUsageSql(range), { limit: 20 }),
      columns: ['app_id', 'users', ...USAGE_COLUMNS],
      w: 12,
      h: 9,
    },
    {
      title: 'Top users of unsanctioned apps',
      type: 'table',
      queryType: 'table',
      sql: toGrafanaSql(topUsersSql({ ...range, unsanctionedOnly: true }), { limit: 20 }),
      columns: ['user', 'apps', 'app_ids', ...USAGE_COLUMNS],
      w: 12,
      h: 9,
    },
    {
      title: 'Bytes uploaded per app',
      type: 'barchart',
      queryType: 'table',
      sql: `SELECT app_id, bytes_out\nFROM (${toGrafanaSql(appUsageSql(range), { limit: 20 })})\nORDER BY bytes_out DESC`,
      columns: ['app_id', 'bytes_out'],
      unit: 'bytes',
      w: 12,
      h: 8,
    },
    {
      title: 'Findings by severity',
      type: 'piechart',
      queryType: 'table',
      sql: toGrafanaSql(findingsBySeveritySql(range)),
      columns: ['band', 'findings', 'open'],
      w: 6,
      h: 8,
    },
    {
      title: 'Findings by type',
      type: 'barchart',
      queryType: 'table',
      sql: toGrafanaSql(findingsByTypeSql(range)),
      columns: ['type', 'findings', 'open', 'max_severity'],
      w: 6,
      h: 8,
    },
    {
      title: 'Newest findings',
      type: 'table',
      queryType: 'table',
      sql: toGrafanaSql(newestFindingsSql(range), { limit: 50 }),
      columns: FINDING_COLUMNS,
      w: 24,
      h: 10,
    },
  ],
};

const drilldown: DashboardDef = {
  uid: 'shadow-ai-app-drilldown',
  title: 'Shadow AI app drill-down',
  file: 'shadow-ai-app-drilldown.json',
  description: 'One AI app and one of its users: usage, users and findings, with the SQL of the API.',
  variables: [
    { name: 'app', label: 'App', sql: toGrafanaSql(USAGE_APPS_SQL) },
    { name: 'user', label: 'User', sql: toGrafanaSql(APP_USERS_SQL) },
  ],
  panels: [
    totals({ app: true }, 'requests', 'Requests to $app'),
    totals({ app: true }, 'users', 'Users of $app'),
    totals({ app: true }, 'bytes_out', 'Uploaded to $app', 'bytes'),
    {
      title: 'Requests and uploads per day to $app',
      type: 'timeseries',
      queryType: 'timeSeries',
      sql: wrapDaily(toGrafanaSql(dailyUsageSql({ ...range, app: true })), 'requests, bytes_out'),
      columns: ['time', 'requests', 'bytes_out'],
      w: 24,
      h: 8,
    },
    {
      title: 'Who uses $app',
      type: 'table',
      queryType: 'table',
      sql: toGrafanaSql(topUsersSql({ ...range, app: true }), { limit: 100 }),
      columns: ['user', 'apps', 'app_ids', ...USAGE_COLUMNS],
      w: 12,
      h: 9,
    },
    {
      title: '$user: usage per app',
      description: 'The totals of GET /v1/users/{user}/usage.',
      type: 'table',
      queryType: 'table',
      sql: toGrafanaSql(perAppUsageSql({ ...range, user: true })),
      columns: ['app_id', 'days', ...USAGE_COLUMNS],
      w: 12,
      h: 9,
    },
    {
      title: '$user: requests per day to $app',
      type: 'timeseries',
      queryType: 'timeSeries',
      sql: wrapDaily(toGrafanaSql(dailyUsageSql({ ...range, user: true, app: true })), 'requests, bytes_out'),
      columns: ['time', 'requests', 'bytes_out'],
      w: 24,
      h: 8,
    },
    {
      title: 'Findings for $app',
      type: 'table',
      queryType: 'table',
      sql: toGrafanaSql(newestFindingsSql({ ...range, app: true }), { limit: 100 }),
      columns: FINDING_COLUMNS,
      w: 24,
      h: 9,
    },
    {
      title: 'Findings for $user',
      type: 'table',
      queryType: 'table',
      sql: toGrafanaSql(newestFindingsSql({ ...range, user: true }), { limit: 100 }),
      columns: FINDING_COLUMNS,
      w: 24,
      h: 9,
    },
  ],
};

export const DASHBOARDS: readonly DashboardDef[] = [overview, drilldown];

const datasource = { type: PLUGIN_ID, uid: '${datasource}' };

/** Lays panels left to right in rows of 24 columns, Grafana's grid width. */
function layout(panels: PanelDef[]): { x: number; y: number; w: number; h: number }[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return panels.map((p) => {
    if (x + p.w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const pos = { x, y, w: p.w, h: p.h };
    x += p.w;
    rowHeight = Math.max(rowHeight, p.h);
    return pos;
  });
}

/** The dashboard JSON model Grafana imports and provisions. */
export function dashboardJson(d: DashboardDef): Record<string, unknown> {
  const positions = layout(d.panels);
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: ['shadow-ai'],
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    editable: true,
    graphTooltip: 1,
    time: { from: 'now-30d', to: 'now' },
    timezone: 'utc',
    refresh: '5m',
    templating: {
      list: [
        {
          type: 'datasource',
          name: 'datasource',
          label: 'ClickHouse',
          query: PLUGIN_ID,
          current: { text: 'Shadow AI ClickHouse', value: DATASOURCE_UID },
          hide: 0,
        },
        ...d.variables.map((v) => ({
          type: 'query',
          name: v.name,
          label: v.label,
          datasource,
          // A plain-string query is the variable model every v4 release of the plugin accepts.
          query: v.sql,
          definition: v.sql,
          refresh: 2,
          multi: false,
          includeAll: false,
          sort: 1,
        })),
      ],
    },
    annotations: { list: [] },
    panels: d.panels.map((p, i) => ({
      id: i + 1,
      type: p.type,
      title: p.title,
      ...(p.description ? { description: p.description } : {}),
      datasource,
      gridPos: positions[i],
      fieldConfig: { defaults: p.unit ? { unit: p.unit } : {}, overrides: [] },
      options: {},
      targets: [
        {
          refId: 'A',
          datasource,
          pluginVersion: PLUGIN_VERSION,
          editorType: 'sql',
          queryType: p.queryType,
          format: FORMAT[p.queryType],
          rawSql: p.sql,
        },
      ],
    })),
  };
}

/** File name → pretty-printed JSON, exactly as committed under dashboards/. */
export function renderDashboards(): Map<string, string> {
  return new Map(DASHBOARDS.map((d) => [d.file, `${JSON.stringify(dashboardJson(d), null, 2)}\n`]));
}
