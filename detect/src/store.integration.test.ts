import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleCatalog } from '@shadow-ai/catalog/testing';
import { createStore, migrate, queryRows, type Store } from '@shadow-ai/clickhouse';
import { createLogger, emptyEvent, loadConfig, type NormalizedEvent } from '@shadow-ai/core';
import type { SourcedEvent } from '@shadow-ai/ingest';
import { createClassifyStep } from './classify.step.ts';
import { createStoreSink } from './events.sink.ts';
import { findingId, FindingsDetector } from './findings.detector.ts';
import { Sanctions } from './sanctions.ts';
import { appUsageSql } from './queries/usage.queries.ts';

const catalog = exampleCatalog(['alpha', 'beta']);

const ref = { current: catalog };

function proxyEvent(user: string, host: string, ts: string, bytesOut = 10): NormalizedEvent {
  return { ...emptyEvent('proxy', 'squid', ts), user, srcIp: '10.0.0.1', host, bytesOut, bytesIn: 5, action: 'allowed' };
}

describe('store: migrations, idempotent ingest positions and findings (embedded ClickHouse)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shadow-ai-store-'));
  const log = createLogger({ level: 'silent' });
  let store: Store;

  beforeAll(async () => {
    store = await createStore(loadConfig({ SHADOW_AI_DATA_DIR: dir }), log);
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies migrations once and is a no-op the second time', async () => {
    const first = await migrate(store.client, log);
    expect(first.length).toBeGreaterThanOrEqual(5);
    expect(await migrate(store.client, log)).toEqual([]);
  });

  it('applies retention as table TTLs, and removes them when set to 0', async () => {
    const { applyRetention } = await import('@shadow-ai/clickhouse');
    await applyRetention(store.client, { events: 30, aggregates: 400 }, log);
    const ddl = async (t: string) => (await queryRows<{ statement: string }>(store.client, `SHOW CREATE TABLE ${t}`))[0]!.statement;
    expect(await ddl('events')).toMatch(/TTL toDateTime\(ts\) \+ toIntervalDay\(30\)/);
    expect(await ddl('usage_daily')).toMatch(/TTL day \+ toIntervalDay\(400\)/);
    // Unchanged settings at the next start rewrite no parts; a changed one applies to the stored rows.
    await store.client.command({ query: "INSERT INTO usage_daily (day, user, app_id, requests) VALUES (today(), 'ttl-probe', 'x', 1)" });
    const mutations = async () => Number((await queryRows<{ n: number }>(store.client, 'SELECT count() AS n FROM system.mutations WHERE database = currentDatabase()'))[0]!.n);
    const before = await mutations();
    await applyRetention(store.client, { events: 30, aggregates: 400 }, log);
    expect(await mutations()).toBe(before);
    await applyRetention(store.client, { events: 30, aggregates: 401 }, log);
    expect(await mutations()).toBeGreaterThan(before);
    await store.client.command({ query: 'TRUNCATE TABLE usage_daily' });
    await applyRetention(store.client, { events: 31, aggregates: 400 }, log);
    expect(await ddl('events')).toMatch(/TTL toDateTime\(ts\) \+ toIntervalDay\(31\)/);
    await applyRetention(store.client, { events: 0, aggregates: 0 }, log);
    expect(await ddl('events')).not.toMatch(/TTL/);
    await applyRetention(store.client, { events: 0, aggregates: 0 }, log);
    await expect(applyRetention(store.client, { events: -1, aggregates: 1 }, log)).rejects.toThrow(/whole number/);
  });

  it('stores only AI events, aggregates usage by day, user and app, and records the stored position', async () => {
    const sink = createStoreSink({ client: store.client, catalog: ref, classify: createClassifyStep({ catalog: ref }) });
    const events: SourcedEvent[] = [
      { src: 'kafka:t/0', offset: 7, line: 0, event: proxyEvent('ann', 'www.alpha.example.com', '2026-11-01T10:00:00.000Z', 100) },
      { src: 'kafka:t/0', offset: 7, line: 1, event: proxyEvent('ann', 'intranet.example.org', '2026-11-01T10:00:01.000Z') },
      { src: 'kafka:t/0', offset: 9, line: 0, event: proxyEvent('ann', 'alpha.example.com', '2026-11-02T10:00:00.000Z', 50) },
      { src: 'kafka:t/0', offset: 9, line: 1, event: proxyEvent('ben', 'beta.example.com', '2026-11-02T11:00:00.000Z') },
    ];
    expect(await sink.storedPosition('kafka:t/0')).toBeNull();
    expect(await sink.store(events)).toEqual({ stored: 3, candidates: 0 });
    expect(await sink.storedPosition('kafka:t/0')).toBe(9);
    expect(await sink.storedPosition('kafka:t/1')).toBeNull();

    const usage = await queryRows<{ day: string; user: string; app_id: string; requests: number; bytes_out: number }>(
      store.client,
      `SELECT toString(day) AS day, user, app_id, sum(requests) AS requests, sum(bytes_out) AS bytes_out
       FROM usage_daily GROUP BY day, user, app_id ORDER BY day, user`,
    );
    expect(usage.map((u) => ({ ...u, requests: Number(u.requests), bytes_out: Number(u.bytes_out) }))).toEqual([
      { day: '2026-11-01', user: 'ann', app_id: 'alpha', requests: 1, bytes_out: 100 },
      { day: '2026-11-02', user: 'ann', app_id: 'alpha', requests: 1, bytes_out: 50 },
      { day: '2026-11-02', user: 'ben', app_id: 'beta', requests: 1, bytes_out: 10 },
    ]);
  });

  it("answers GET /v1/apps's totals from the per-app projection and its users from the base rows", async () => {
    const params = { since: '2026-11-01 00:00:00.000', limit: 10 };
    const apps = await queryRows<{ app_id: string; users: number; requests: number; bytes_out: number }>(store.client, appUsageSql({ since: true }), params);
    expect(apps.map((a) => [a.app_id, Number(a.users), Number(a.requests), Number(a.bytes_out)])).toEqual([
      ['alpha', 1, 2, 150],
      ['beta', 1, 1, 10],
    ]);
    const plan = (await queryRows<{ explain: string }>(store.client, `EXPLAIN ${appUsageSql({ since: true })}`, params)).map((r) => r.explain).join('\n');
    expect(plan).toMatch(/ReadFromMergeTree \(by_app_day\)/);
  });

  it('derives findings idempotently: re-evaluating unchanged data writes nothing and keeps triage status', async () => {
    const sanctions = new Sanctions({ default: 'unsanctioned', apps: { beta: 'sanctioned' } });
    const detector = new FindingsDetector({ client: store.client, sanctions, log });
    expect(await detector.evaluateAll()).toBe(1);
    expect(await detector.evaluateAll()).toBe(0);
    const id = findingId('unsanctioned-app', 'ann', 'alpha');
    const read = () =>
      queryRows<{ id: string; requests: number; status: string; severity: number }>(
        store.client,
        'SELECT id, requests, status, severity FROM findings FINAL',
      );
    expect((await read()).map((r) => ({ ...r, requests: Number(r.requests), severity: Number(r.severity) }))).toEqual([
      { id, requests: 2, status: 'open', severity: 40 },
    ]);

    // An analyst acknowledged it; new activity updates the counts but not the status.
    await store.client.command({
      query: `INSERT INTO findings SELECT * REPLACE ('acknowledged' AS status, now64(3) AS updated_at) FROM findings FINAL WHERE id = {id:String}`,
      query_params: { id },
    });
    const sink = createStoreSink({
      client: store.client,
      catalog: ref,
      classify: createClassifyStep({ catalog: ref }),
      onStored: (u, a) => detector.touch(u, a),
    });
    await sink.store([{ src: 'http:b1', offset: 0, line: 0, event: proxyEvent('ann', 'alpha.example.com', '2026-11-03T09:00:00.000Z') }]);
    await detector.flush();
    const rows = await read();
    expect(rows).toHaveLength(1);
    expect({ requests: Number(rows[0]!.requests), status: rows[0]!.status }).toEqual({ requests: 3, status: 'acknowledged' });
  });
});
