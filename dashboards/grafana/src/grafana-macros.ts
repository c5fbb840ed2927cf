/**
 * What Grafana and the grafana-clickhouse-datasource plugin do to a panel's SQL before ClickHouse sees
 * it, so tests can run the committed dashboards on the store. Follows the plugin's pkg/macros/macros.go
 * and README macro table (`$__fromTime` → `toDateTime(<s>)`, `$__fromTime_ms` →
 * `fromUnixTimestamp64Milli(<ms>)`, `$__timeFilter(c)` → `c >= toDateTime(..) AND c <= toDateTime(..)`,
 * `$__dateFilter(c)` → `c >= toDate('YYYY-MM-DD') AND …`, `$__timeInterval(c)` →
 * `toStartOfInterval(toDateTime(c), INTERVAL <s> second)`) and Grafana's variable syntax (`$name`,
 * `${name}`, `${name:singlequote}`: the value quoted with ' and each ' escaped as \').
 */

export interface GrafanaContext {
  from: Date;
  to: Date;
  /** the panel's interval (Grafana picks it from the range and width) */
  intervalMs: number;
  /** single-valued template variables */
  vars: Readonly<Record<string, string>>;
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
const toDateTime = (d: Date) => `toDateTime(${seconds(d)})`;
const toDateTime64 = (d: Date) => `fromUnixTimestamp64Milli(${d.getTime()})`;
const toDate = (d: Date) => `toDate('${d.toISOString().slice(0, 10)}')`;

function oneArg(name: string, args: string[]): string {
  if (args.length !== 1 || !args[0]) throw new Error(`$__${name} expects 1 argument, received ${args.length}`);
  return args[0];
}

function macro(name: string, args: string[], c: GrafanaContext): string {
  const intervalS = Math.max(Math.floor(c.intervalMs / 1000), 1);
  switch (name) {
    case 'fromTime':
      return toDateTime(c.from);
    case 'toTime':
      return toDateTime(c.to);
    case 'fromTime_ms':
      return toDateTime64(c.from);
    case 'toTime_ms':
      return toDateTime64(c.to);
    case 'timeFilter': {
      const col = oneArg(name, args);
      return `${col} >= ${toDateTime(c.from)} AND ${col} <= ${toDateTime(c.to)}`;
    }
    case 'timeFilter_ms': {
      const col = oneArg(name, args);
      return `${col} >= ${toDateTime64(c.from)} AND ${col} <= ${toDateTime64(c.to)}`;
    }
    case 'dateFilter': {
      const col = oneArg(name, args);
      return `${col} >= ${toDate(c.from)} AND ${col} <= ${toDate(c.to)}`;
    }
    case 'timeInterval':
      return `toStartOfInterval(toDateTime(${oneArg(name, args)}), INTERVAL ${intervalS} second)`;
    case 'timeInterval_ms':
      return `toStartOfInterval(toDateTime64(${oneArg(name, args)}, 3), INTERVAL ${Math.max(c.intervalMs, 1)} millisecond)`;
    case 'interval_s':
      return String(intervalS);
    default:
      throw new Error(`unknown macro $__${name}`);
  }
}

function variable(name: string, format: string | undefined, c: GrafanaContext): string {
  const value = c.vars[name];
  if (value === undefined) throw new Error(`no value for template variable $${name}`);
  if (format === undefined) return value;
  if (format === 'singlequote') return `'${value.replaceAll("'", "\\'")}'`;
  throw new Error(`variable format ${format} is not modelled`);
}

/** The SQL ClickHouse receives for a panel's rawSql in the given context. */
export function expandGrafanaSql(sql: string, c: GrafanaContext): string {
  // Grafana interpolates template variables first; the plugin's backend then expands macros.
  const interpolated = sql.replace(/\$\{(\w+)(?::(\w+))?\}|\$(?!__)(\w+)/g, (_m, braced: string | undefined, format: string | undefined, bare: string | undefined) =>
    variable((braced ?? bare)!, format, c),
  );
  const expanded = interpolated.replace(/\$__(\w+)(?:\(([^()]*)\))?/g, (_m, name: string, args: string | undefined) =>
    macro(name, args === undefined ? [] : args.split(',').map((a) => a.trim()), c),
  );
  if (expanded.includes('$')) throw new Error(`unexpanded $ left in: ${expanded}`);
  return expanded;
}
