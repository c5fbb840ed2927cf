import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeAll, createTopics, produceLines, testKafkaBrokers } from '../support/kafka-admin.ts';
import { bindLine, squidLine } from '../support/log-lines.ts';
import { authFetch, eventually, getJson, removeDir, startService, tempDir, type Service } from '../support/service.ts';

const at = (iso: string) => new Date(iso);

describe('identity enrichment: IP leases attribute DNS events to users by event time', () => {
  const brokers = testKafkaBrokers();
  const run = randomUUID().slice(0, 8);
  const identityTopic = `identity-${run}`;
  const dnsTopic = `dns-id-${run}`;
  const dir = tempDir('identity');
  let service: Service;

  beforeAll(async () => {
    await createTopics(brokers, [{ topic: identityTopic }, { topic: dnsTopic }]);
    service = await startService({
      dataDir: join(dir, 'data'),
      env: {
        KAFKA_BROKERS: brokers,
        KAFKA_TOPICS: `${dnsTopic}:bind`,
        KAFKA_IDENTITY_TOPIC: identityTopic,
        KAFKA_GROUP_ID: `id-${run}`,
      },
    });
  });

  afterAll(async () => {
    await service?.stop();
    removeDir(dir);
  });

  const usage = async (user: string) => {
    const r = await getJson<{ apps?: { appId: string; requests: number }[] }>(`${service.url}/v1/users/${encodeURIComponent(user)}/usage`);
    return Object.fromEntries((r.body.apps ?? []).map((a) => [a.appId, a.requests]));
  };

  it('attributes 10:05 to alice (lease 10:00–11:00) and 11:05 to bob (lease from 11:00), from an API upload', async () => {
    const csv = ['ip,user,from,to', '10.8.0.5,CORP\\Alice,2026-11-24T10:00:00Z,2026-11-24T11:00:00Z', '10.8.0.5,bob@corp.example,2026-11-24T11:00:00Z,'].join('\n');
    const up = await authFetch(`${service.url}/v1/identity/leases`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv });
    expect(up.status).toBe(200);
    expect(await up.json()).toMatchObject({ stored: 2 });
    const lookup = (t: string) => getJson<{ user: string | null }>(`${service.url}/v1/identity/lookup?ip=10.8.0.5&at=${t}`);
    expect((await lookup('2026-11-24T10:05:00Z')).body.user).toBe('alice');
    expect((await lookup('2026-11-24T11:05:00Z')).body.user).toBe('bob');
    expect((await lookup('2026-11-24T09:59:00Z')).body.user).toBeNull();

    const lines = [
      bindLine({ clientIp: '10.8.0.5', name: 'chatgpt.com', at: at('2026-11-24T10:05:00Z') }),
      bindLine({ clientIp: '10.8.0.5', name: 'claude.ai', at: at('2026-11-24T11:05:00Z') }),
      bindLine({ clientIp: '10.8.0.5', name: 'claude.ai', at: at('2026-11-24T09:00:00Z') }),
    ];
    await authFetch(`${service.url}/v1/ingest/bind`, { method: 'POST', body: lines.join('\n') });
    expect(await usage('alice')).toEqual({ chatgpt: 1 });
    expect(await usage('bob')).toEqual({ claude: 1 });
    // Before any lease the address itself is the identity.
    expect(await usage('10.8.0.5')).toEqual({ claude: 1 });
  });

  it('normalises user names so CORP\\alice, alice@corp.example and Alice are one user', async () => {
    const line = (user: string) => squidLine({ user, clientIp: '10.8.0.9', host: 'poe.com', bytes: 1, at: at('2026-11-24T12:00:00Z') });
    await authFetch(`${service.url}/v1/ingest/squid`, { method: 'POST', body: [line('CORP%5Calice'), line('alice@corp.example'), line('Alice')].join('\n') });
    expect((await usage('alice')).poe).toBe(3);
  });

  it('reads leases and logons from the identity-events topic and dead-letters bad records', async () => {
    await produceLines(brokers, identityTopic, [
      JSON.stringify({ ip: '10.8.0.6', user: 'carol', from: '2026-11-24T10:00:00Z', to: '2026-11-24T11:00:00Z' }) +
        '\n' +
        JSON.stringify({ type: 'logon', ip: '10.8.0.6', user: 'dave', ts: '2026-11-24T11:00:00Z' }),
      '{"ip":"not-an-ip","user":"x","from":"2026-11-24T10:00:00Z"}',
      'not json',
    ]);
    const dlq = await consumeAll(brokers, `${identityTopic}.dlq`, { expected: 2, timeoutMs: 60_000 });
    expect(dlq.map((m) => m.headers!['x-shadow-ai-reason']!.toString())).toEqual(['ip: an IPv4 or IPv6 address', 'invalid JSON']);
    await eventually(async () => {
      const r = await getJson<{ user: string | null }>(`${service.url}/v1/identity/lookup?ip=10.8.0.6&at=2026-11-24T11:05:00Z`);
      return r.body.user === 'dave' ? true : undefined;
    }, 60_000, 'the logon from Kafka');
    await produceLines(brokers, dnsTopic, [
      bindLine({ clientIp: '10.8.0.6', name: 'chatgpt.com', at: at('2026-11-24T10:05:00Z') }),
      bindLine({ clientIp: '10.8.0.6', name: 'chatgpt.com', at: at('2026-11-24T11:05:00Z') }),
    ]);
    await eventually(async () => ((await usage('dave')).chatgpt === 1 ? true : undefined), 60_000, 'dave attributed');
    expect(await usage('carol')).toEqual({ chatgpt: 1 });
  });

  it('rejects bad lease uploads with the reasons', async () => {
    const bad = await authFetch(`${service.url}/v1/identity/leases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ ip: '999.1.1.1', user: 'x', from: 'yesterday' }]),
    });
    expect(bad.status).toBe(400);
    const csv = await authFetch(`${service.url}/v1/identity/leases`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: '10.0.0.1\n' });
    expect(csv.status).toBe(400);
    expect(((await csv.json()) as { message: string }).message).toContain('line 1: expected ip,user,from');
  });
});
