/**
 * Turns the shared SQL (ClickHouse bound parameters, as the API runs it) into Grafana panel SQL by
 * replacing each `{name:Type}` placeholder with a macro or variable of the grafana-clickhouse-datasource
 * plugin. Nothing else in the SQL changes, so a dashboard runs exactly the API's query.
 */

/** Placeholders the API binds; `(?<!\$)` leaves Grafana's own `${var:format}` alone. */
const PLACEHOLDER = /(?<!\$)\{(\w+):([^{}]+)\}/g;

/**
 * How each bound parameter becomes Grafana SQL. The plugin's `$__fromTime_ms`/`$__toTime_ms` expand to
 * `fromUnixTimestamp64Milli(<ms>)`, a DateTime64(3) like the API's `DateTime64(3, 'UTC')` parameters;
 * `${var:singlequote}` is Grafana's documented format that quotes a value with ' and escapes ' as \'.
 */
export const GRAFANA_BINDINGS: Readonly<Record<string, string>> = {
  since: '$__fromTime_ms',
  until: '$__toTime_ms',
  user: '${user:singlequote}',
  app: '${app:singlequote}',
};

export class UnboundParameterError extends Error {}

/** The placeholders `{name:Type}` in SQL, in order. */
export function placeholders(sql: string): { name: string; type: string }[] {
  return [...sql.matchAll(PLACEHOLDER)].map((m) => ({ name: m[1]!, type: m[2]! }));
}

/**
 * Replaces every placeholder; `constants` give literal values for parameters a panel fixes (a LIMIT).
 * Throws when a placeholder has no binding, so a new API parameter cannot slip into a dashboard unbound.
 */
export function toGrafanaSql(sql: string, constants: Readonly<Record<string, string | number>> = {}): string {
  return sql.replace(PLACEHOLDER, (whole, name: string) => {
    const constant = constants[name];
    if (constant !== undefined) return String(constant);
    const binding = GRAFANA_BINDINGS[name];
    if (binding === undefined) throw new UnboundParameterError(`no Grafana binding for parameter ${whole}`);
    return binding;
  });
}
