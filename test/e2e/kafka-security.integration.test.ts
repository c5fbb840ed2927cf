import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeAll, createTopics, produceLines } from '../support/kafka-admin.ts';
import { startKafkaBroker, type KafkaBroker } from '../support/kafka-broker.ts';
import { packLines, squidLine, type ProxyRequest } from '../support/log-lines.ts';
import { authFetch, eventually, getJson, removeDir, startService, tempDir, type Service } from '../support/service.ts';
import { makeTestPki, type TestPki } from '../support/test-pki.ts';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const USER = 'shadow-ai';
const PASSWORD = 'kafka-pass-7c1e09f2';

/**
 * Enterprise brokers take TLS and SASL only. A broker of its own (the shared one is plaintext) with an
 * SSL listener requiring client certificates, and SASL_SSL and SASL_PLAINTEXT listeners (PLAIN,
 * SCRAM-SHA-256/512); the test itself produces and reads over the plaintext listener of the same broker.
 */
describe('Kafka with TLS and SASL', () => {
  const dir = tempDir('kafka-sec');
  let pki: TestPki;
  let broker: KafkaBroker;
  const services: Service[] = [];

  beforeAll(async () => {
    pki = makeTestPki(dir);
    broker = await startKafkaBroker({
      security: { keystorePemFile: pki.server.keystoreFile, clientCaFile: pki.caFile, users: [{ name: USER, password: PASSWORD }] },
    });
  }, 120_000);

  afterAll(async () => {
    for (const s of services) await s.stop();
    await broker?.stop();
    removeDir(dir);
  });

  async function consumer(name: string, topic: string, env: Record<string, string>, waitForListen = true): Promise<Service> {
    const s = await startService({
      dataDir: join(dir, name),
      waitForListen,
      env: { KAFKA_TOPICS: `${topic}:squid`, KAFKA_GROUP_ID: `sec-${name}`, KAFKA_IDENTITY_TOPIC: `identity-${name}`, ...env },
    });
    services.push(s);
    return s;
  }

  function traffic(n: number, host: string): ProxyRequest[] {
    return Array.from({ length: n }, (_, i) => ({ user: `user${i % 4}`, clientIp: `10.7.0.${i % 4}`, host, bytes: 500 + i, at: new Date(T0 + i * 1000) }));
  }

  async function requestsByApp(s: Service, appId: string, expected: number): Promise<number> {
    return eventually(async () => {
      const { body } = await getJson<{ items: { appId: string; requests: number }[] }>(`${s.url}/v1/apps`);
      const n = body.items.find((a) => a.appId === appId)?.requests;
      return n === expected ? n : undefined;
    }, 60_000, `${expected} ${appId} requests`);
  }

  it('consumes over SASL_SSL with SCRAM-SHA-512 (password from a file), dead-letters over it, and forwards findings with SASL PLAIN', async () => {
    const topic = 'proxy-sasl';
    const findingsTopic = 'findings-sasl';
    await createTopics(broker.brokers, [{ topic, partitions: 2 }, { topic: findingsTopic }]);
    const lines = traffic(40, 'chatgpt.com').map(squidLine);
    await produceLines(broker.brokers, topic, [...packLines(lines, 8), 'not a squid line']);
    const passwordFile = join(dir, 'kafka-password');
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });

    const s = await consumer('sasl', topic, {
      KAFKA_BROKERS: broker.secure!.saslSsl,
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: USER,
      KAFKA_SASL_PASSWORD_FILE: passwordFile,
      KAFKA_SSL_CA_FILE: pki.caFile,
    });
    expect(await requestsByApp(s, 'chatgpt', 40)).toBe(40);
    // The DLQ producer uses the same connection settings.
    const dlq = await consumeAll(broker.brokers, `${topic}.dlq`, { expected: 1, timeoutMs: 60_000 });
    expect(dlq[0]!.value!.toString()).toBe('not a squid line');

    // A Kafka destination over SASL_SSL with PLAIN; the API never shows its password back.
    const dest = {
      id: 'kafka-secure', type: 'kafka', brokers: broker.secure!.saslSsl, topic: findingsTopic,
      securityProtocol: 'sasl_ssl', ca: pki.caPem, sasl: { mechanism: 'plain', username: USER, password: PASSWORD },
    };
    const put = await authFetch(`${s.url}/v1/destinations/kafka-secure`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(dest) });
    expect(put.status).toBe(200);
    const shown = JSON.stringify((await getJson<unknown>(`${s.url}/v1/destinations`)).body);
    expect(shown).not.toContain(PASSWORD);
    expect(shown).toContain('"password":"[redacted]"');
    // Four users of an unsanctioned app: four findings, each delivered to the secure topic.
    const ids = await eventually(async () => {
      const { body } = await getJson<{ items: { id: string }[] }>(`${s.url}/v1/findings?type=unsanctioned-app&app=chatgpt`);
      return body.items.length === 4 ? body.items.map((f) => f.id).sort() : undefined;
    }, 60_000, 'four unsanctioned-app findings');
    const keys = await eventually(async () => {
      const records = await consumeAll(broker.brokers, findingsTopic, { expected: 1, timeoutMs: 30_000, settleMs: 1_000 });
      const seen = new Set(records.map((m) => m.key!.toString()));
      return ids.every((id) => seen.has(id)) ? seen : undefined;
    }, 90_000, 'the findings on the secure topic');
    const { body: all } = await getJson<{ items: { id: string }[] }>(`${s.url}/v1/findings?limit=100`);
    expect([...keys].every((k) => all.items.some((f) => f.id === k))).toBe(true);

    // Half a SASL setting is refused by the API, not stored to fail later.
    const bad = await authFetch(`${s.url}/v1/destinations/kafka-bad`, {
      method: 'PUT', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'kafka-bad', type: 'kafka', brokers: broker.secure!.saslSsl, securityProtocol: 'sasl_ssl' }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('needs sasl credentials');
    expect(s.output()).not.toContain(PASSWORD);
  });

  it('consumes over SSL with a client certificate (mutual TLS)', async () => {
    const topic = 'proxy-mtls';
    await createTopics(broker.brokers, [{ topic }]);
    await produceLines(broker.brokers, topic, packLines(traffic(25, 'claude.ai').map(squidLine), 5));
    const s = await consumer('mtls', topic, {
      KAFKA_BROKERS: broker.secure!.ssl,
      KAFKA_SECURITY_PROTOCOL: 'ssl',
      KAFKA_SSL_CA_FILE: pki.caFile,
      KAFKA_SSL_CERT_FILE: pki.client.certFile,
      KAFKA_SSL_KEY_FILE: pki.client.keyFile,
    });
    expect(await requestsByApp(s, 'claude', 25)).toBe(25);
  });

  it('consumes over SASL_PLAINTEXT with SCRAM-SHA-256', async () => {
    const topic = 'proxy-sasl-plain';
    await createTopics(broker.brokers, [{ topic }]);
    await produceLines(broker.brokers, topic, packLines(traffic(12, 'perplexity.ai').map(squidLine), 4));
    const s = await consumer('sasl-plain', topic, {
      KAFKA_BROKERS: broker.secure!.saslPlaintext,
      KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext',
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: USER,
      KAFKA_SASL_PASSWORD: PASSWORD,
    });
    expect(await requestsByApp(s, 'perplexity', 12)).toBe(12);
  });

  it('stops with a clear error, and without the password in its output, when the broker refuses the credentials', async () => {
    const wrong = 'wrong-password-5d2a';
    const s = await consumer('refused', 'proxy-refused', {
      KAFKA_BROKERS: broker.secure!.saslSsl,
      KAFKA_SECURITY_PROTOCOL: 'sasl_ssl',
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: USER,
      KAFKA_SASL_PASSWORD: wrong,
      KAFKA_SSL_CA_FILE: pki.caFile,
    }, false);
    const { code } = await s.exited;
    expect(code).not.toBe(0);
    expect(s.output()).toMatch(/SASL SCRAM SHA256 authentication failed/);
    expect(s.output()).not.toContain(wrong);
  });

  it('refuses a client without a certificate on the mutual-TLS listener, and a half-made setting before connecting', async () => {
    const noCert = await consumer('no-cert', 'proxy-no-cert', {
      KAFKA_BROKERS: broker.secure!.ssl,
      KAFKA_SECURITY_PROTOCOL: 'ssl',
      KAFKA_SSL_CA_FILE: pki.caFile,
    }, false);
    expect((await noCert.exited).code).not.toBe(0);
    expect(noCert.output()).toMatch(/certificate/);

    const missingFile = await consumer('missing-file', 'proxy-missing', {
      KAFKA_BROKERS: broker.secure!.ssl,
      KAFKA_SECURITY_PROTOCOL: 'ssl',
      KAFKA_SSL_CA_FILE: join(dir, 'no-such-ca.pem'),
    }, false);
    expect((await missingFile.exited).code).not.toBe(0);
    expect(missingFile.output()).toContain(`KAFKA_SSL_CA_FILE: cannot read ${join(dir, 'no-such-ca.pem')}: ENOENT`);

    const halfSasl = await consumer('half-sasl', 'proxy-half', {
      KAFKA_BROKERS: broker.secure!.saslSsl,
      KAFKA_SECURITY_PROTOCOL: 'sasl_ssl',
      KAFKA_SASL_USERNAME: USER,
    }, false);
    expect((await halfSasl.exited).code).not.toBe(0);
    expect(halfSasl.output()).toContain('KAFKA_SECURITY_PROTOCOL=sasl_ssl needs KAFKA_SASL_MECHANISM');
  });
});
