import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import { startClickHouseHttp, type ClickHouseHttp } from '../support/clickhouse-http.ts';
import { createTopics, kafkaClient, produceLines, testKafkaBrokers } from '../support/kafka-admin.ts';
import { packLines, squidLine, type ProxyRequest } from '../support/log-lines.ts';
import { authFetch, eventually, getJson, removeDir, startService, tempDir, type Service } from '../support/service.ts';

const T0 = Date.parse('2026-11-20T08:00:00.000Z');
const PARTITIONS = 6;
const LINES_PER_MESSAGE = 10;

/**
 * Scale-out: three consumer processes in one group, writing to one shared store through
 * CLICKHOUSE_URL. A consumer joins (the group rebalances), that consumer dies by SIGKILL right after
 * an insert and before its offset commit, then one of the first two is killed mid-stream. Every
 * line produced must be stored exactly once.
 */
describe('three consumers in one group sharing partitions', () => {
  const brokers = testKafkaBrokers();
  const run = randomUUID().slice(0, 8);
  const topic = `proxy-scale-${run}`;
  const groupId = `scale-${run}`;
  const dir = tempDir('scale');
  let store: ClickHouseHttp | undefined;
  let client: ClickHouseClient | undefined;
  const services: Service[] = [];

  afterAll(async () => {
    for (const s of services) await s.stop();
    await client?.close();
    await store?.close();
    removeDir(dir);
  });

  let next = 0;
  let messages = 0;
  const produced: ProxyRequest[] = [];
  async function produce(lines: number): Promise<void> {
    const batch: ProxyRequest[] = [];
    for (let k = 0; k < lines; k++, next++) {
      batch.push({
        user: `user${next % 11}`,
        clientIp: `10.3.${next % 5}.${next % 200}`,
        host: next % 3 === 0 ? 'claude.ai' : 'chatgpt.com',
        // Unique per line, so the byte total tells a duplicate from a loss.
        bytes: 1_000 + next,
        at: new Date(T0 + next * 100),
      });
    }
    produced.push(...batch);
    const packed = packLines(batch.map(squidLine), LINES_PER_MESSAGE);
    messages += packed.length;
    await produceLines(brokers, topic, packed);
  }

  async function stored(): Promise<{ rows: number; distinct: number; bytes: number }> {
    const rs = await client!.query({
      query: `SELECT count() AS rows, uniqExact(src, src_offset, src_line) AS distinct, sum(bytes_in) AS bytes
              FROM events WHERE src LIKE {prefix:String}`,
      query_params: { prefix: `kafka:${topic}/%` },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ rows: number | string; distinct: number | string; bytes: number | string }>();
    return { rows: Number(row!.rows), distinct: Number(row!.distinct), bytes: Number(row!.bytes) };
  }

  async function skippedReplays(s: Service): Promise<number> {
    const metrics = await (await authFetch(`${s.url}/metrics`)).text();
    const m = /shadow_ai_ingest_lines_total\{source="kafka",format="squid",outcome="skipped_replay"\} (\d+)/.exec(metrics);
    return Number(m?.[1] ?? 0);
  }

  function consumer(name: string, extra: Record<string, string> = {}, waitForListen = true): Promise<Service> {
    return startService({
      dataDir: join(dir, name),
      waitForListen,
      env: {
        CLICKHOUSE_URL: store!.url,
        KAFKA_BROKERS: brokers,
        KAFKA_TOPICS: `${topic}:squid`,
        KAFKA_GROUP_ID: groupId,
        KAFKA_CLIENT_ID: `shadow-ai-${name}`,
        // A killed member must leave the group quickly, so its partitions move on within the test.
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        // Small inserts: many commits, so kills land between an insert and its commit.
        INGEST_BATCH_SIZE: '50',
        DETECT_INTERVAL_MS: '1000',
        ...extra,
      },
    });
  }

  it('stores every line exactly once through a join, a crash after insert and a kill', async () => {
    store = await startClickHouseHttp({ dataDir: join(dir, 'clickhouse') });
    client = createClient({ url: store.url, clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
    await createTopics(brokers, [{ topic, partitions: PARTITIONS }]);
    await produce(3_000);

    // Started one after the other: each applies the (idempotent) migrations to the shared store.
    const first = await consumer('c1');
    services.push(first);
    const second = await consumer('c2');
    services.push(second);
    await eventually(async () => ((await stored()).rows > 0 ? true : undefined), 60_000, 'the first two consumers store events');

    // A third member joins with a failpoint: it dies by SIGKILL right after its first insert, before
    // the offset commit, so whoever takes its partitions over must skip what it stored.
    const third = await consumer('c3', { SHADOW_AI_FAILPOINT: 'exit-after-insert' }, false);
    services.push(third);
    const thirdDied = third.exited;
    // Keep producing until the rebalance has handed the newcomer partitions with data on them.
    let died = false;
    void thirdDied.then(() => (died = true));
    for (let round = 0; !died && round < 120; round++) {
      await produce(300);
      await new Promise((r) => setTimeout(r, 500));
    }
    const ended = await thirdDied;
    expect(ended.signal).toBe('SIGKILL');
    expect(third.output()).toContain('failpoint exit-after-insert');

    // Whoever took the dead member's partitions over replayed the lines it had stored, and skipped
    // them: the duplicate path is exercised, not avoided by luck.
    await produce(2_000);
    await eventually(async () => {
      const total = (await skippedReplays(first)) + (await skippedReplays(second));
      return total > 0 ? total : undefined;
    }, 90_000, 'the crashed member\'s stored lines skipped on replay');

    // One of the original two is killed mid-stream, without warning.
    const before = (await stored()).rows;
    await produce(2_000);
    await eventually(async () => ((await stored()).rows > before ? true : undefined), 60_000, 'consumption resumes');
    first.proc.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    await produce(2_000);

    // The topic holds exactly what was produced (a producer re-send would show here, not as a
    // consumer bug below).
    const admin = kafkaClient(brokers).admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
    expect(ends.reduce((s, p) => s + Number(p.high), 0)).toBe(messages);

    // The survivor takes over every partition and catches up.
    const total = produced.length;
    const final = await eventually(async () => {
      const s = await stored();
      return s.rows >= total ? s : undefined;
    }, 120_000, `all ${total} lines stored`);
    // Let a late duplicate show up before asserting exact counts.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await stored()).toEqual(final);
    expect(final.rows).toBe(total);
    expect(final.distinct).toBe(total);
    expect(final.bytes).toBe(produced.reduce((s, r) => s + r.bytes, 0));

    // The aggregates the API serves agree with the raw rows, per app.
    const expected = new Map<string, number>();
    for (const r of produced) {
      const app = r.host === 'claude.ai' ? 'claude' : 'chatgpt';
      expected.set(app, (expected.get(app) ?? 0) + 1);
    }
    const { body } = await getJson<{ items: { appId: string; requests: number }[] }>(`${second.url}/v1/apps`);
    expect(new Map(body.items.map((a) => [a.appId, a.requests]))).toEqual(expected);

    // And the group has committed every partition to its end.
    await admin.connect();
    try {
      await eventually(async () => {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        const done = committed!.partitions.every((p) => p.offset === ends.find((e) => e.partition === p.partition)!.high);
        return done ? true : undefined;
      }, 60_000, 'offsets committed to the end of every partition');
    } finally {
      await admin.disconnect();
    }
  });
});
