import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { appUsageSql, dailyUsageSql } from '@shadow-ai/detect';
import { DASHBOARDS, PLUGIN_ID, renderDashboards } from './dashboards.ts';
import { expandGrafanaSql } from './grafana-macros.ts';
import { placeholders, toGrafanaSql, UnboundParameterError } from './grafana-sql.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'dashboards');

interface Target { refId?: unknown; datasource?: { type?: unknown }; rawSql?: unknown; editorType?: unknown; queryType?: unknown; format?: unknown; pluginVersion?: unknown }
interface Panel { id?: unknown; type?: unknown; title?: unknown; datasource?: { type?: unknown; uid?: unknown }; gridPos?: Record<string, unknown>; targets?: Target[] }
interface Variable { type?: unknown; name?: unknown; query?: unknown; datasource?: { type?: unknown } }
interface Dashboard { uid?: unknown; title?: unknown; schemaVersion?: unknown; panels?: Panel[]; templating?: { list?: Variable[] } }

const committed = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, text: readFileSync(join(dir, f), 'utf8') }));
const parsed = committed.map((c) => ({ file: c.file, d: JSON.parse(c.text) as Dashboard }));

describe('Grafana dashboards (dashboards/grafana/dashboards/*.json)', () => {
  it('are exactly what build.ts generates from the shared queries (run it after changing them)', () => {
    const rendered = renderDashboards();
    expect(committed.map((c) => c.file).sort()).toEqual([...rendered.keys()].sort());
    for (const c of committed) expect(c.text, `${c.file} is stale: node --import tsx dashboards/grafana/build.ts`).toBe(rendered.get(c.file));
  });

  it('have unique uids and titles and a dashboard schema version', () => {
    expect(parsed.length).toBeGreaterThanOrEqual(2);
    expect(new Set(parsed.map((p) => p.d.uid)).size).toBe(parsed.length);
    expect(new Set(parsed.map((p) => p.d.title)).size).toBe(parsed.length);
    for (const { file, d } of parsed) {
      expect(d.uid, file).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
      expect(typeof d.schemaVersion, file).toBe('number');
    }
  });

  it('give every panel the ClickHouse datasource, a place on the 24-column grid and SQL targets in the plugin v4 format', () => {
    for (const { file, d } of parsed) {
      const panels = d.panels ?? [];
      expect(panels.length, file).toBeGreaterThan(0);
      expect(new Set(panels.map((p) => p.id)).size, file).toBe(panels.length);
      expect(new Set(panels.map((p) => p.title)).size, `${file}: panel titles`).toBe(panels.length);
      for (const p of panels) {
        const where = `${file}: ${String(p.title)}`;
        expect(p.datasource?.type, where).toBe(PLUGIN_ID);
        const g = p.gridPos ?? {};
        for (const k of ['x', 'y', 'w', 'h']) expect(Number.isInteger(g[k]), `${where} gridPos.${k}`).toBe(true);
        expect((g.x as number) + (g.w as number), where).toBeLessThanOrEqual(24);
        expect(p.targets?.length, where).toBeGreaterThan(0);
        for (const t of p.targets ?? []) {
          expect(t.datasource?.type, where).toBe(PLUGIN_ID);
          expect(t.editorType, where).toBe('sql');
          expect(typeof t.pluginVersion === 'string' && Number(t.pluginVersion.split('.')[0]) >= 4, where).toBe(true);
          // Grafana's format numbers: table 1, time series 0 (the plugin's mapQueryTypeToGrafanaFormat).
          expect([t.queryType, t.format], where).toSatisfy(([q, f]: unknown[]) => (q === 'table' && f === 1) || (q === 'timeSeries' && f === 0));
          expect(typeof t.rawSql === 'string' && t.rawSql.trim().length > 0, where).toBe(true);
          expect(placeholders(t.rawSql as string), `${where}: API parameter left unbound`).toEqual([]);
        }
      }
    }
  });

  it('define every variable the panels use, each with a query on the ClickHouse datasource', () => {
    for (const { file, d } of parsed) {
      const vars = d.templating?.list ?? [];
      const names = new Set(vars.map((v) => v.name));
      for (const v of vars) {
        expect(typeof v.query === 'string' && v.query.length > 0, `${file}: $${String(v.name)}`).toBe(true);
        if (v.type === 'query') expect(v.datasource?.type).toBe(PLUGIN_ID);
      }
      const used = new Set<string>();
      const sqls = [...(d.panels ?? []).flatMap((p) => (p.targets ?? []).map((t) => String(t.rawSql))), ...vars.filter((v) => v.type === 'query').map((v) => String(v.query))];
      for (const sql of sqls) for (const m of sql.matchAll(/\$\{(\w+)(?::\w+)?\}|\$(?!__)(\w+)/g)) used.add((m[1] ?? m[2])!);
      for (const u of used) expect(names.has(u), `${file} uses undefined $${u}`).toBe(true);
    }
  });

  it('is built from one definition per dashboard file', () => {
    expect(DASHBOARDS.map((d) => d.file).sort()).toEqual(committed.map((c) => c.file).sort());
  });
});

describe('toGrafanaSql', () => {
  it('replaces the API time range with the plugin time macros and keeps the rest of the SQL', () => {
    const api = dailyUsageSql({ since: true, until: true, user: true });
    const grafana = toGrafanaSql(api);
    expect(grafana).toContain('day >= toDate($__fromTime_ms)');
    expect(grafana).toContain('day <= toDate($__toTime_ms)');
    expect(grafana).toContain('user = ${user:singlequote}');
    expect(grafana.replace(/\$__fromTime_ms/, "{since:DateTime64(3, 'UTC')}").replace(/\$__toTime_ms/, "{until:DateTime64(3, 'UTC')}").replace('${user:singlequote}', '{user:String}')).toBe(api);
  });

  it('fixes parameters a panel gives as constants and refuses to leave one unbound', () => {
    expect(toGrafanaSql(appUsageSql({}), { limit: 10 })).toMatch(/LIMIT 10\n/);
    expect(() => toGrafanaSql(appUsageSql({}))).toThrow(UnboundParameterError);
    expect(() => toGrafanaSql(appUsageSql({ cursor: true }), { limit: 1 })).toThrow(/c_req/);
  });
});

describe('expandGrafanaSql (the plugin macro semantics the store tests rely on)', () => {
  // The examples of the plugin README's macro table.
  const ctx = { from: new Date(1415792726123), to: new Date(1447328726456), intervalMs: 20_000, vars: { app: "it's", user: 'ann' } };

  it('expands the time macros as the plugin documents them', () => {
    expect(expandGrafanaSql('$__timeFilter(time)', ctx)).toBe('time >= toDateTime(1415792726) AND time <= toDateTime(1447328726)');
    expect(expandGrafanaSql('$__timeFilter_ms(time)', ctx)).toBe('time >= fromUnixTimestamp64Milli(1415792726123) AND time <= fromUnixTimestamp64Milli(1447328726456)');
    expect(expandGrafanaSql('$__fromTime $__toTime $__fromTime_ms', ctx)).toBe('toDateTime(1415792726) toDateTime(1447328726) fromUnixTimestamp64Milli(1415792726123)');
    expect(expandGrafanaSql('$__dateFilter(date)', ctx)).toBe("date >= toDate('2014-11-12') AND date <= toDate('2015-11-12')");
    expect(expandGrafanaSql('$__timeInterval(column)', ctx)).toBe('toStartOfInterval(toDateTime(column), INTERVAL 20 second)');
    expect(expandGrafanaSql('$__interval_s', ctx)).toBe('20');
  });

  it("quotes variables with singlequote and escapes ' as \\'", () => {
    expect(expandGrafanaSql('app_id = ${app:singlequote} AND user = $user', ctx)).toBe("app_id = 'it\\'s' AND user = ann");
    expect(() => expandGrafanaSql('$missing', ctx)).toThrow(/missing/);
    expect(() => expandGrafanaSql('$__nope', ctx)).toThrow(/unknown macro/);
  });
});
