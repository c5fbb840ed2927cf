import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTopics, kafkaClient, produceLines, testKafkaBrokers } from '../support/kafka-admin.ts';
import { packLines, squidLine, type ProxyRequest } from '../support/log-lines.ts';
import { authFetch, eventually, getJson, removeDir, startService, tempDir } from '../support/service.ts';

const T0 = Date.parse('2026-11-21T08:00:00.000Z');

describe('crash between the store insert and the offset commit', () => {
  const brokers = testKafkaBrokers();
  const run = randomUUID().slice(0, 8);
  const topic = `proxy-crash-${run}`;
  const groupId = `crash-${run}`;
  const dir = tempDir('crash');
  const dataDir = join(dir, 'data');
  const env = {
    KAFKA_BROKERS: brokers,
    KAFKA_TOPICS: `${topic}:squid`,
    KAFKA_GROUP_ID: groupId,
    DETECT_INTERVAL_MS: '200',
    // The restart must wait until the group gives up on the killed member; keep that short.
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    // Small batches: the first insert covers only part of the topic, so the restart has to both skip
    // what was stored and consume what was not.
    INGEST_BATCH_SIZE: '40',
  };

  afterAll(() => removeDir(dir));

  it('loses no event and counts none twice after a restart', async () => {
    const requests: ProxyRequest[] = [];
    for (let i = 0; i < 300; i++) {
      requests.push({
        user: `user${i % 7}`,
        clientIp: `10.2.0.${i % 7}`,
        host: i % 3 === 0 ? 'claude.ai' : 'chatgpt.com',
        bytes: 100 + i,
        at: new Date(T0 + i * 1000),
      });
    }
    await createTopics(brokers, [{ topic }]);
    await produceLines(brokers, topic, packLines(requests.map(squidLine), 5));

    // First run: dies by SIGKILL right after its first insert, before any offset commit.
    const crashing = await startService({ dataDir, env: { ...env, SHADOW_AI_FAILPOINT: 'exit-after-insert' }, waitForListen: false });
    const ended = await crashing.exited;
    expect(ended.signal).toBe('SIGKILL');
    expect(crashing.output()).toContain('failpoint exit-after-insert');

    const admin = kafkaClient(brokers).admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    // Nothing committed (-1) proves the restart replays what the crashed run had already stored.
    expect(committed[0]!.partitions.map((p) => p.offset)).toEqual(['-1']);

    const service = await startService({ dataDir, env });
    try {
      const expected = new Map<string, number>();
      for (const r of requests) {
        const app = r.host === 'claude.ai' ? 'claude' : 'chatgpt';
        expected.set(app, (expected.get(app) ?? 0) + 1);
      }
      const apps = await eventually(async () => {
        const { body } = await getJson<{ items: { appId: string; requests: number; bytesIn: number }[] }>(`${service.url}/v1/apps`);
        const total = body.items.reduce((s, a) => s + a.requests, 0);
        return total >= requests.length ? body.items : undefined;
      }, 90_000, 'all events stored');
      // Let any duplicate that would arrive late show up before asserting exact counts.
      await new Promise((r) => setTimeout(r, 1500));
      const final = (await getJson<{ items: { appId: string; requests: number; bytesIn: number }[] }>(`${service.url}/v1/apps`)).body.items;
      expect(final).toEqual(apps);
      expect(new Map(final.map((a) => [a.appId, a.requests]))).toEqual(expected);
      const bytes = final.reduce((s, a) => s + a.bytesIn, 0);
      expect(bytes).toBe(requests.reduce((s, r) => s + r.bytes, 0));
      const metrics = await (await authFetch(`${service.url}/metrics`)).text();
      const skipped = /shadow_ai_ingest_lines_total\{source="kafka",format="squid",outcome="skipped_replay"\} (\d+)/.exec(metrics);
      expect(Number(skipped?.[1] ?? 0)).toBeGreaterThan(0);
    } finally {
      await service.stop();
    }
  });
});
