import { randomBytes, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeAll, createTopics, produceLines, testKafkaBrokers } from '../support/kafka-admin.ts';
import { squidLine } from '../support/log-lines.ts';
import { authFetch, eventually, getJson, removeDir, startService, tempDir, TEST_ADMIN_TOKEN, type Service } from '../support/service.ts';

/**
 * Announces a body larger than the service takes (Content-Length) and sends only its first bytes: the
 * service must refuse by the announced size, before reading. TRICKY: writing the whole body races the
 * service closing the connection after its 413 (EPIPE before the answer is read), so this stops writing
 * and waits for the answer.
 */
function postOversized(url: string, announcedBytes: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-length': announcedBytes } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: text });
        req.destroy();
      });
    });
    req.on('error', reject);
    req.write(Buffer.alloc(64 * 1024, 0x61));
  });
}

const AT = new Date('2026-11-22T12:00:00.000Z');
const good = (user: string, host: string) => squidLine({ user, clientIp: '10.3.0.1', host, bytes: 321, at: AT });

function metricValue(metrics: string, name: string, labels: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('bad input is dead-lettered with a reason, counted, and never stops the process', () => {
  const brokers = testKafkaBrokers();
  const run = randomUUID().slice(0, 8);
  const topic = `proxy-bad-${run}`;
  const dir = tempDir('bad');
  let service: Service;

  const junk: { name: string; value: Buffer; reason: RegExp }[] = [
    { name: 'garbage text', value: Buffer.from('this is not a squid log line at all'), reason: /./ },
    { name: 'binary junk', value: Buffer.concat([Buffer.from([0x00, 0x01, 0x02, 0x7f]), randomBytes(64).map((b) => (b === 10 || b === 13 ? b + 1 : b))]), reason: /./ },
    { name: '1 MB line', value: Buffer.from('x'.repeat(1024 * 1024)), reason: /line too long/ },
    { name: 'invalid UTF-8', value: Buffer.from([0x31, 0x37, 0x36, 0x34, 0x20, 0xc3, 0x28, 0xff, 0xfe]), reason: /invalid UTF-8/ },
  ];

  beforeAll(async () => {
    await createTopics(brokers, [{ topic }]);
    service = await startService({
      dataDir: join(dir, 'data'),
      env: { KAFKA_BROKERS: brokers, KAFKA_TOPICS: `${topic}:squid`, KAFKA_GROUP_ID: `bad-${run}` },
    });
  });

  afterAll(async () => {
    await service?.stop();
    removeDir(dir);
  });

  it('sends each bad Kafka line to <topic>.dlq with its original bytes and reason headers', async () => {
    // Junk between good lines, and a message mixing a good and a bad line.
    await produceLines(brokers, topic, [
      good('dana', 'chatgpt.com'),
      ...junk.map((j) => j.value),
      Buffer.concat([Buffer.from(good('erin', 'claude.ai') + '\n'), Buffer.from([0xff, 0xfe, 0x0a])]),
      good('dana', 'chatgpt.com'),
    ]);
    const dlq = await consumeAll(brokers, `${topic}.dlq`, { expected: junk.length + 1, timeoutMs: 60_000, settleMs: 1000 });
    expect(dlq).toHaveLength(junk.length + 1);
    for (const [i, j] of junk.entries()) {
      const m = dlq[i]!;
      expect(m.value!.equals(j.value), j.name).toBe(true);
      const reason = m.headers!['x-shadow-ai-reason']!.toString();
      expect(reason, j.name).toMatch(j.reason);
      expect(m.headers!['x-shadow-ai-source-topic']!.toString()).toBe(topic);
      expect(m.headers!['x-shadow-ai-source-offset']!.toString()).toBe(String(i + 1));
    }
    const mixed = dlq[junk.length]!;
    expect(mixed.value!.equals(Buffer.from([0xff, 0xfe]))).toBe(true);
    expect(mixed.headers!['x-shadow-ai-source-line']!.toString()).toBe('1');

    // The good lines around the junk were stored, and the process still answers.
    const apps = await eventually(async () => {
      const { body } = await getJson<{ items: { appId: string; requests: number }[] }>(`${service.url}/v1/apps`);
      const m = new Map(body.items.map((a) => [a.appId, a.requests]));
      return m.get('chatgpt') === 2 && m.get('claude') === 1 ? m : undefined;
    }, 60_000, 'good lines stored');
    expect(apps.size).toBe(2);
    expect((await getJson<{ status: string }>(`${service.url}/healthz`)).body.status).toBe('ok');
    const metrics = await (await authFetch(`${service.url}/metrics`)).text();
    expect(metricValue(metrics, 'shadow_ai_dead_letters_total', 'source="kafka",destination="kafka"')).toBe(junk.length + 1);
    expect(metricValue(metrics, 'shadow_ai_ingest_lines_total', 'source="kafka",format="squid",outcome="rejected"')).toBe(junk.length + 1);
  });

  it('dead-letters bad HTTP lines to the table, stores the good ones, and reports line numbers', async () => {
    const body = Buffer.concat([
      Buffer.from(`${good('fay', 'chatgpt.com')}\nnot a log line\n`),
      Buffer.from([0xc3, 0x28, 0x0a]),
      Buffer.from(`${good('fay', 'api.openai.com')}\n`),
    ]);
    const res = await authFetch(`${service.url}/v1/ingest/squid`, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(200);
    const out = (await res.json()) as { parsed: number; stored: number; rejected: number; rejects: { line: number; reason: string }[] };
    expect(out).toMatchObject({ parsed: 2, stored: 2, rejected: 2 });
    expect(out.rejects.map((r) => r.line)).toEqual([2, 3]);
    expect(out.rejects[1]!.reason).toBe('invalid UTF-8');
    const metrics = await (await authFetch(`${service.url}/metrics`)).text();
    expect(metricValue(metrics, 'shadow_ai_dead_letters_total', 'source="http",destination="table"')).toBe(2);
  });

  it('does not count an HTTP batch twice when it is sent again', async () => {
    const lines = [good('gus', 'chatgpt.com'), good('gus', 'chatgpt.com'), good('gus', 'claude.ai')].join('\n');
    const post = () => authFetch(`${service.url}/v1/ingest/squid`, { method: 'POST', body: lines, headers: { 'idempotency-key': `retry-${run}` } });
    const first = (await (await post()).json()) as { stored: number; skipped: number };
    const second = (await (await post()).json()) as { stored: number; skipped: number };
    expect(first).toMatchObject({ stored: 3, skipped: 0 });
    expect(second).toMatchObject({ stored: 0, skipped: 3 });
    const usage = await getJson<{ apps: { appId: string; requests: number }[] }>(`${service.url}/v1/users/gus/usage`);
    expect(Object.fromEntries(usage.body.apps.map((a) => [a.appId, a.requests]))).toEqual({ chatgpt: 2, claude: 1 });
  });

  it('detects the format of an HTTP batch sent to /v1/ingest/auto, and applies its time zone', async () => {
    const line = '25-Nov-2026 10:00:00.000 queries: info: client @0x1 10.3.0.9#5353 (claude.ai): query: claude.ai IN A + (10.0.0.53)';
    const res = await authFetch(`${service.url}/v1/ingest/auto?timeZone=Europe/Berlin`, { method: 'POST', body: line });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ format: 'bind', stored: 1 });
    const f = await eventually(async () => {
      const items = (await getJson<{ items: { firstSeen: string }[] }>(`${service.url}/v1/findings?user=10.3.0.9`)).body.items;
      return items[0];
    }, 30_000, 'finding');
    // 10:00 in Berlin (CET) is 09:00 UTC.
    expect(f.firstSeen).toBe('2026-11-25T09:00:00.000Z');
    const none = await authFetch(`${service.url}/v1/ingest/auto`, { method: 'POST', body: 'nothing recognisable here\n' });
    expect(none.status).toBe(400);
    const badZone = await authFetch(`${service.url}/v1/ingest/bind?timeZone=Mars/Base`, { method: 'POST', body: line });
    expect(badZone.status).toBe(400);
  });

  it('answers bad ingest requests with a JSON error and the right status', async () => {
    const unknown = await authFetch(`${service.url}/v1/ingest/no-such-format`, { method: 'POST', body: 'x' });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: string }).error).toBe('unknown_format');
    const empty = await authFetch(`${service.url}/v1/ingest/squid`, { method: 'POST', body: '' });
    expect(empty.status).toBe(400);
    const tooBig = await postOversized(`${service.url}/v1/ingest/squid`, 33 * 1024 * 1024);
    expect(tooBig.status).toBe(413);
    expect((JSON.parse(tooBig.body) as { error: string }).error).toBe('payload_too_large');
  });
});
