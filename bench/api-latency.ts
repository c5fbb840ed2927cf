/**
 * API latency on a large store: generates BENCH_API_EVENTS events (default 50 million) straight into
 * the embedded ClickHouse with one INSERT … SELECT (the materialized views fill the aggregates as on
 * any insert), lets `shadow-ai start` derive the findings with its own detector, then measures p50/p99
 * of `/v1/apps`, `/v1/findings` and a user drill-down against `/healthz` on the same service in the
 * same run (the baseline: HTTP, auth and routing without a query). Also reports the compressed bytes
 * per million events and the service's peak RSS while serving.
 *
 * Keep the generated store with BENCH_API_DIR=/path (generation takes minutes; a later run reuses it
 * when it holds the requested number of events).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { loadCatalog } from '@shadow-ai/catalog';
import { createStore, migrate, queryRows } from '@shadow-ai/clickhouse';
import { loadConfig, createLogger } from '@shadow-ai/core';
import { startService, tempDir, removeDir, TEST_ADMIN_TOKEN, type Service } from '../test/support/service.ts';

// The shape of the organisation: API cost follows the daily aggregates (users × apps × days), not events.
const USERS = Number(process.env.BENCH_API_USERS ?? 5_000);
const DAYS = 30;
const APPS_PER_USER = 6;

async function generate(dataDir: string, events: number): Promise<{ seconds: number; existing: boolean }> {
  const config = loadConfig({ SHADOW_AI_DATA_DIR: dataDir });
  const store = await createStore(config);
  try {
    await migrate(store, createLogger({ level: 'warn' }));
    const [have] = await queryRows<{ n: number }>(store.client, "SELECT count() AS n FROM events WHERE src = 'bench:generated'");
    if (Number(have?.n ?? 0) === events) return { seconds: 0, existing: true };
    // A reused store was made with its own user count; one generation per directory.
    if (Number(have?.n ?? 0) > 0) throw new Error(`${dataDir} holds ${have!.n} generated events, not ${events}: use another BENCH_API_DIR`);
    // Real catalog apps and hosts, each user on a handful of them, traffic skewed towards the first.
    const apps = loadCatalog().apps.filter((a) => a.domains.some((d) => d.match === 'exact')).slice(0, 120);
    const ids = apps.map((a) => a.id);
    const hosts = apps.map((a) => a.domains.find((d) => d.match === 'exact')!.host);
    const started = process.hrtime.bigint();
    const end = Date.parse('2026-11-25T00:00:00Z') / 1000;
    await store.client.command({
      query: `
        INSERT INTO events (ts, kind, format, user, src_ip, host, method, status, bytes_out, bytes_in, app_id, activity, matched_by, src, src_offset, src_line)
        SELECT
          toDateTime64({end:UInt32} - intDiv(number * {span:UInt32}, {events:UInt64}), 3, 'UTC') AS ts,
          'proxy', 'squid',
          concat('user', toString(u)) AS user,
          concat('10.', toString(intDiv(u, 250) % 256), '.', toString(u % 250), '.1'),
          {hosts:Array(String)}[a + 1],
          if(number % 4 = 0, 'POST', 'CONNECT'),
          200,
          if(number % 4 = 0, 800 + cityHash64(number, 1) % 20000, 0),
          2000 + cityHash64(number, 2) % 50000,
          {ids:Array(String)}[a + 1],
          'chat', 'domain',
          'bench:generated', number, 0
        FROM
        (
          SELECT number,
                 cityHash64(number) % {users:UInt32} AS u,
                 (u * 7 + toUInt32(sqrt(cityHash64(number, 3) % ({per:UInt32} * {per:UInt32})))) % length({ids:Array(String)}) AS a
          FROM numbers({events:UInt64})
        )`,
      query_params: { end, span: DAYS * 86_400, events, users: USERS, per: APPS_PER_USER, hosts, ids },
      clickhouse_settings: { max_insert_threads: '2', max_block_size: '1000000', min_insert_block_size_rows: '1000000' },
    });
    await store.client.command({ query: 'OPTIMIZE TABLE events FINAL' }).catch(() => undefined);
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, existing: false };
  } finally {
    await store.close();
  }
}

async function timeRequests(service: Service, path: string, n: number): Promise<{ p50: number; p99: number; max: number; status: number }> {
  const headers = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
  let status = 0;
  for (let i = 0; i < 5; i++) await (await fetch(service.url + path, { headers })).arrayBuffer();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    const res = await fetch(service.url + path, { headers });
    await res.arrayBuffer();
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    status = res.status;
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => Number(samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)]!.toFixed(2));
  return { p50: at(0.5), p99: at(0.99), max: at(1), status };
}

export async function benchApiLatency(opts: { events: number; requests: number }): Promise<Record<string, unknown>[]> {
  const keep = process.env.BENCH_API_DIR;
  const dir = keep ?? tempDir('bench-api');
  if (keep && !existsSync(keep)) mkdirSync(keep, { recursive: true });
  const out: Record<string, unknown>[] = [];
  try {
    const gen = await generate(dir, opts.events);
    // The first start over a freshly generated store derives every finding before it listens: minutes.
    const service = await startService({ dataDir: dir, env: { LOG_LEVEL: 'warn', DETECT_INTERVAL_MS: '5000' }, listenTimeoutMs: 1_200_000 });
    try {
      // Wait until the detector has stopped writing (its first full evaluation is done), so the
      // findings table is what it will be. A reused store may have nothing new to write.
      const started = Date.now();
      let findings = -1;
      for (let stable = 0; stable < 3 && Date.now() - started < 900_000; ) {
        await new Promise((r) => setTimeout(r, 5_000));
        const res = await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
        const n = Number(/shadow_ai_findings_written_total (\d+)/.exec(await res.text())?.[1] ?? -1);
        stable = n >= 0 && n === findings ? stable + 1 : 0;
        findings = n;
      }
      const baseline = await timeRequests(service, '/healthz', opts.requests);
      const paths: [string, string][] = [
        ['api.apps', '/v1/apps'],
        ['api.findings', '/v1/findings?limit=50'],
        ['api.findings_by_severity', '/v1/findings?limit=50&sort=severity&minSeverity=40'],
        ['api.user_drilldown', '/v1/users/user42/usage'],
      ];
      for (const [name, path] of paths) {
        const m = await timeRequests(service, path, opts.requests);
        if (m.status !== 200) throw new Error(`${path} answered ${m.status}`);
        out.push({
          bench: name,
          unit: 'ms',
          path,
          p50: m.p50,
          p99: m.p99,
          max: m.max,
          events: opts.events,
          requests: opts.requests,
          baseline: { name: 'healthz', unit: 'ms', p50: baseline.p50, p99: baseline.p99 },
          ratio_p99: Number((m.p99 / baseline.p99).toFixed(1)),
        });
      }
      const status = readFileSync(`/proc/${service.proc.pid}/status`, 'utf8');
      out.push({ bench: 'api.service_peak_rss', unit: 'bytes', value: Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024, events: opts.events });
      out.push({ bench: 'store.generate', unit: 'events/s', value: gen.existing ? null : Math.round(opts.events / gen.seconds), reused: gen.existing, findings_written: findings });
    } finally {
      await service.stop();
    }
    // Storage per million events, read while no other process holds the data directory.
    const store = await createStore(loadConfig({ SHADOW_AI_DATA_DIR: dir }));
    try {
      const tables = await queryRows<{ table: string; rows: number; compressed: number; uncompressed: number }>(
        store.client,
        `SELECT table, sum(rows) AS rows, sum(data_compressed_bytes) AS compressed, sum(data_uncompressed_bytes) AS uncompressed
         FROM system.parts WHERE active AND database = currentDatabase() GROUP BY table ORDER BY compressed DESC`,
      );
      const events = tables.find((t) => t.table === 'events');
      const all = tables.reduce((s, t) => s + Number(t.compressed), 0);
      out.push({
        bench: 'store.bytes_per_million_events',
        unit: 'bytes',
        value: Math.round((Number(events?.compressed ?? 0) / opts.events) * 1e6),
        uncompressed: Math.round((Number(events?.uncompressed ?? 0) / opts.events) * 1e6),
        all_tables: Math.round((all / opts.events) * 1e6),
        by_table: Object.fromEntries(tables.slice(0, 8).map((t) => [t.table, { rows: Number(t.rows), compressed: Number(t.compressed) }])),
      });
    } finally {
      await store.close();
    }
    return out;
  } finally {
    if (!keep) removeDir(dir);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const events = Number(process.env.BENCH_API_EVENTS ?? 50_000_000);
  const requests = Number(process.env.BENCH_API_REQUESTS ?? 200);
  for (const line of await benchApiLatency({ events, requests })) process.stdout.write(JSON.stringify(line) + '\n');
}
