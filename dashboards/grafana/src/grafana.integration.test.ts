import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleCatalog } from '@shadow-ai/catalog/testing';
import { createStore, migrate, queryRows, type Store } from '@shadow-ai/clickhouse';
import { createLogger, emptyEvent, loadConfig, toClickHouseTime, type NormalizedEvent } from '@shadow-ai/core';
import { appUsageSql, createClassifyStep, createStoreSink, dailyUsageSql, FindingsDetector, perAppUsageSql, Sanctions } from '@shadow-ai/detect';
import type { SourcedEvent } from '@shadow-ai/ingest';
import { DASHBOARDS } from './dashboards.ts';
import { expandGrafanaSql, type GrafanaContext } from './grafana-macros.ts';
import { toGrafanaSql } from './grafana-sql.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'dashboards');

const catalog = exampleCatalog(['alpha', 'beta']);
const ref = { current: catalog };

// A user name with a quote checks that ${user:singlequote} escaping is valid ClickHouse.
const QUOTED_USER = "o'brien";
const seed: { user: string; host: string; ts: string; bytesOut: number }[] = [
  { user: 'ann', host: 'alpha.example.com', ts: '2026-10-15T09:00:00.000Z', bytesOut: 7 }, // before the dashboard range
  { user: 'ann', host: 'alpha.example.com', ts: '2026-11-01T10:00:00.000Z', bytesOut: 100 },
  { user: 'ann', host: 'chat.alpha.example.com', ts: '2026-11-02T10:00:00.000Z', bytesOut: 50 },
  { user: QUOTED_USER, host: 'alpha.example.com', ts: '2026-11-02T11:00:00.000Z', bytesOut: 5000 },
  { user: 'ben', host: 'beta.example.com', ts: '2026-11-02T12:00:00.000Z', bytesOut: 10 },
  { user: 'ben', host: 'beta.example.com', ts: '2026-11-03T12:00:00.000Z', bytesOut: 10 },
  { user: 'ann', host: 'intranet.example.org', ts: '2026-11-02T10:00:01.000Z', bytesOut: 1 }, // not an AI app: not stored
];

const ctx: GrafanaContext = {
  from: new Date('2026-11-01T00:00:00.000Z'),
  to: new Date('2026-11-03T23:59:59.999Z'),
  intervalMs: 3_600_000,
  vars: { app: 'alpha', user: QUOTED_USER },
};

const inRange = seed.filter((s) => !s.host.endsWith('.org') && Date.parse(s.ts) >= ctx.from.getTime() && Date.parse(s.ts) <= ctx.to.getTime());

interface JsonResult {
  meta: { name: string; type: string }[];
  data: Record<string, unknown>[];
}

interface Panel { title: string; targets: { rawSql: string }[] }
interface Dashboard { title: string; panels: Panel[]; templating: { list: { type: string; name: string; query: string }[] } }
const committed = DASHBOARDS.map((d) => ({ def: d, json: JSON.parse(readFileSync(join(dir, d.file), 'utf8')) as Dashboard }));

describe('Grafana dashboard queries on the store (embedded ClickHouse)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'shadow-ai-grafana-'));
  const log = createLogger({ level: 'silent' });
  let store: Store;

  const run = async (sql: string): Promise<JsonResult> => {
    const rs = await store.client.query({ query: expandGrafanaSql(sql, ctx), format: 'JSON' });
    return rs.json<Record<string, unknown>>() as Promise<JsonResult>;
  };
  const panelResult = async (dashboard: string, title: string) => {
    const d = committed.find((c) => c.def.title === dashboard)!;
    const p = d.json.panels.find((x) => x.title === title)!;
    return run(p.targets[0]!.rawSql);
  };

  beforeAll(async () => {
    store = await createStore(loadConfig({ SHADOW_AI_DATA_DIR: dataDir }), log);
    await migrate(store.client, log);
    const sink = createStoreSink({ client: store.client, catalog: ref, classify: createClassifyStep({ catalog: ref }) });
    const events: SourcedEvent[] = seed.map((s, line) => ({
      src: 'http:grafana-seed',
      offset: 0,
      line,
      event: { ...emptyEvent('proxy', 'squid', s.ts), user: s.user, srcIp: '10.0.0.1', host: s.host, bytesOut: s.bytesOut, bytesIn: 5, action: 'allowed' } satisfies NormalizedEvent,
    }));
    expect((await sink.store(events)).stored).toBe(seed.length - 1);
    // beta is sanctioned, so the detector raises unsanctioned-app findings for alpha's users only.
    const detector = new FindingsDetector({ client: store.client, sanctions: new Sanctions({ default: 'unsanctioned', apps: { beta: 'sanctioned' } }), log });
    expect(await detector.evaluateAll()).toBeGreaterThan(0);
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  for (const { def, json } of committed) {
    for (const v of json.templating.list.filter((x) => x.type === 'query')) {
      it(`${def.title}: variable $${v.name} lists values from the store`, async () => {
        const r = await run(v.query);
        expect(r.meta).toHaveLength(1);
        expect(r.data.map((row) => Object.values(row)[0])).toContain(ctx.vars[v.name]);
      });
    }
    json.panels.forEach((panel, i) => {
      const expected = def.panels[i]!;
      it(`${def.title}: "${panel.title}" runs and returns ${expected.columns.join(', ')}`, async () => {
        const r = await run(panel.targets[0]!.rawSql);
        expect(r.meta.map((m) => m.name)).toEqual(expected.columns);
        expect(r.data.length).toBeGreaterThan(0);
        if (expected.queryType === 'timeSeries') {
          // The plugin plots a query whose first column is a datetime named `time`.
          expect(r.meta[0]).toMatchObject({ name: 'time' });
          expect(r.meta[0]!.type).toMatch(/^DateTime/);
        }
      });
    });
  }

  it('counts only the events inside the dashboard time range', async () => {
    const requests = await panelResult('Shadow AI overview', 'AI requests');
    expect(Number(requests.data[0]!.requests)).toBe(inRange.length);
    const users = await panelResult('Shadow AI overview', 'Users of AI apps');
    expect(Number(users.data[0]!.users)).toBe(new Set(inRange.map((s) => s.user)).size);
  });

  it('puts the share of requests to apps unsanctioned for the user in the unsanctioned panel', async () => {
    const r = await panelResult('Shadow AI overview', 'Unsanctioned share of requests');
    const unsanctioned = inRange.filter((s) => s.host.includes('alpha')).length;
    expect(Number(r.data[0]!.unsanctioned_requests_share)).toBeCloseTo(unsanctioned / inRange.length, 6);
    const top = await panelResult('Shadow AI overview', 'Top users of unsanctioned apps');
    expect(top.data.map((row) => row.user).sort()).toEqual(['ann', QUOTED_USER]);
  });

  it('filters the drill-down by the selected app and a quoted user name', async () => {
    const perApp = await panelResult('Shadow AI app drill-down', '$user: usage per app');
    expect(perApp.data.map((row) => [row.app_id, Number(row.bytes_out)])).toEqual([['alpha', 5000]]);
    const users = await panelResult('Shadow AI app drill-down', 'Who uses $app');
    expect(users.data.map((row) => row.user).sort()).toEqual(['ann', QUOTED_USER]);
  });

  it('returns the same rows for the API, with bound parameters, as for Grafana, with macros and variables', async () => {
    // Bound as the API binds them (api/src/time-params.ts).
    const api = { since: toClickHouseTime(ctx.from.toISOString()), until: toClickHouseTime(ctx.to.toISOString()), user: QUOTED_USER, app: 'alpha', limit: 100 };
    const filters = [{ since: true, until: true }, { since: true, until: true, user: true }, { since: true, until: true, app: true, user: true }];
    for (const f of filters) {
      for (const sql of [appUsageSql(f), perAppUsageSql(f), dailyUsageSql(f)]) {
        const viaApi = await queryRows<Record<string, unknown>>(store.client, sql, api);
        const viaGrafana = (await run(toGrafanaSql(sql, { limit: api.limit }))).data;
        expect(viaApi.length, sql).toBeGreaterThan(0);
        expect(JSON.stringify(viaGrafana), sql).toBe(JSON.stringify(viaApi));
      }
    }
    // The API's daily series has always answered days as 'YYYY-MM-DD'.
    const daily = await queryRows<{ day: unknown }>(store.client, dailyUsageSql({ user: true }), { user: 'ann' });
    expect(daily.map((d) => d.day)).toEqual(['2026-10-15', '2026-11-01', '2026-11-02']);
  });
});
