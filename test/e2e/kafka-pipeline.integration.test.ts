import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics, produceLines, testKafkaBrokers } from '../support/kafka-admin.ts';
import { bindLine, packLines, squidLine, type ProxyRequest } from '../support/log-lines.ts';
import { authFetch, eventually, getJson, removeDir, startService, tempDir, type Service } from '../support/service.ts';

interface AppUsage {
  appId: string;
  users: number;
  requests: number;
  bytesIn: number;
  bytesOut: number;
  sanction: string;
}
interface Finding {
  id: string;
  user: string;
  appId: string;
  requests: number;
  status: string;
  severity: number;
  type: string;
}

const T0 = Date.parse('2026-11-20T09:00:00.000Z');

/** The traffic both topics carry; expected numbers below are derived from it, not typed in. */
function proxyTraffic(): ProxyRequest[] {
  const out: ProxyRequest[] = [];
  const add = (n: number, r: Omit<ProxyRequest, 'at'>) => {
    for (let i = 0; i < n; i++) out.push({ ...r, at: new Date(T0 + out.length * 1000) });
  };
  add(30, { user: 'alice', clientIp: '10.1.0.11', host: 'chatgpt.com', bytes: 1000 });
  add(5, { user: 'alice', clientIp: '10.1.0.11', host: 'claude.ai', bytes: 2000 });
  add(12, { user: 'bob', clientIp: '10.1.0.12', host: 'api.openai.com', method: 'POST', path: '/v1/chat/completions', bytes: 512 });
  add(20, { user: 'bob', clientIp: '10.1.0.12', host: 'www.example.com', path: '/', bytes: 4096 });
  add(3, { user: 'carol', clientIp: '10.1.0.13', host: 'chatgpt.com', bytes: 700, result: 'TCP_DENIED', status: 403 });
  return out;
}

function dnsTraffic(): { clientIp: string; name: string; at: Date }[] {
  const out: { clientIp: string; name: string; at: Date }[] = [];
  const add = (n: number, clientIp: string, name: string) => {
    for (let i = 0; i < n; i++) out.push({ clientIp, name, at: new Date(T0 + 3_600_000 + out.length * 1000) });
  };
  add(4, '10.9.9.9', 'claude.ai');
  add(3, '10.9.9.9', 'chatgpt.com');
  add(6, '10.9.9.9', 'en.wikipedia.org');
  return out;
}

describe('Kafka → parse → classify → store → findings API', () => {
  const brokers = testKafkaBrokers();
  const run = randomUUID().slice(0, 8);
  const proxyTopic = `proxy-logs-${run}`;
  const dnsTopic = `dns-logs-${run}`;
  const autoTopic = `mixed-logs-${run}`;
  const dir = tempDir('e2e');
  let service: Service;

  beforeAll(async () => {
    await createTopics(brokers, [{ topic: proxyTopic, partitions: 2 }, { topic: dnsTopic }, { topic: autoTopic }]);
    // A topic configured as `auto`: its format is detected from the first message.
    await produceLines(brokers, autoTopic, [
      bindLine({ clientIp: '10.9.9.10', name: 'perplexity.ai', at: new Date(T0) }) + '\n' + bindLine({ clientIp: '10.9.9.10', name: 'perplexity.ai', at: new Date(T0 + 1000) }),
    ]);
    const proxy = proxyTraffic();
    // Several lines per message, spread over both partitions.
    const messages = packLines(proxy.map(squidLine), 7);
    await produceLines(brokers, proxyTopic, messages.filter((_, i) => i % 2 === 0), { partition: 0 });
    await produceLines(brokers, proxyTopic, messages.filter((_, i) => i % 2 === 1), { partition: 1 });
    await produceLines(brokers, dnsTopic, packLines(dnsTraffic().map(bindLine), 3));
    const sanctions = join(dir, 'sanctions.json');
    writeFileSync(sanctions, JSON.stringify({ default: 'unsanctioned', apps: { claude: 'sanctioned' } }));
    service = await startService({
      dataDir: join(dir, 'data'),
      env: {
        KAFKA_BROKERS: brokers,
        KAFKA_TOPICS: `${proxyTopic}:squid,${dnsTopic}:bind,${autoTopic}:auto`,
        KAFKA_GROUP_ID: `e2e-${run}`,
        SHADOW_AI_SANCTIONS_FILE: sanctions,
        DETECT_INTERVAL_MS: '200',
      },
    });
  });

  afterAll(async () => {
    await service?.stop();
    removeDir(dir);
  });

  it('lists one unsanctioned-app finding per user and unsanctioned app, none for sanctioned or non-AI traffic', async () => {
    const proxy = proxyTraffic();
    const dns = dnsTraffic();
    const expected = new Map<string, number>();
    const count = (key: string) => expected.set(key, (expected.get(key) ?? 0) + 1);
    for (const r of proxy) {
      if (r.host === 'chatgpt.com') count(`${r.user}|chatgpt`);
      if (r.host === 'api.openai.com') count(`${r.user}|openai-api`);
    }
    for (const q of dns) if (q.name === 'chatgpt.com') count(`${q.clientIp}|chatgpt`);

    const findings = await eventually(async () => {
      const { body } = await getJson<{ items: Finding[] }>(`${service.url}/v1/findings?limit=100&type=unsanctioned-app`);
      // The auto-format topic's traffic (10.9.9.10) is checked in its own test.
      const items = body.items.filter((f) => f.user !== '10.9.9.10');
      const total = items.reduce((s, f) => s + f.requests, 0);
      return total === [...expected.values()].reduce((a, b) => a + b, 0) ? items : undefined;
    }, 90_000, 'findings for all produced traffic');

    const got = new Map(findings.map((f) => [`${f.user}|${f.appId}`, f.requests]));
    expect(got).toEqual(expected);
    expect(findings.every((f) => f.type === 'unsanctioned-app' && f.status === 'open')).toBe(true);
    // carol was blocked by the proxy, which the blocked count and not the absence of a finding records.
    expect(got.get('carol|chatgpt')).toBe(3);
  });

  it('detects the format of a topic configured as auto', async () => {
    const u = await eventually(async () => {
      const r = await getJson<{ apps?: { appId: string; requests: number }[] }>(`${service.url}/v1/users/10.9.9.10/usage`);
      return r.status === 200 ? r.body.apps : undefined;
    }, 60_000, 'events from the auto topic');
    expect(u!.map((a) => [a.appId, a.requests])).toEqual([['perplexity', 2]]);
    // Its finding too, so the tests after this one see a settled set of findings.
    await eventually(async () => {
      const items = (await getJson<{ items: Finding[] }>(`${service.url}/v1/findings?user=10.9.9.10&type=unsanctioned-app`)).body.items;
      return items.length === 1 ? true : undefined;
    }, 30_000, 'finding of the auto topic');
    expect(service.output()).toMatch(/"format":"bind".*"msg":"kafka topic format detected"|kafka topic format detected.*"format":"bind"/);
  });

  it('reports per-app request counts and bytes equal to what was produced', async () => {
    const proxy = proxyTraffic();
    const dns = dnsTraffic();
    const want = new Map<string, { requests: number; bytesIn: number; users: Set<string>; blocked: number }>();
    const appOf: Record<string, string> = { 'chatgpt.com': 'chatgpt', 'claude.ai': 'claude', 'api.openai.com': 'openai-api' };
    const tally = (appId: string | undefined, user: string, bytes: number, blocked: boolean) => {
      if (!appId) return;
      const w = want.get(appId) ?? { requests: 0, bytesIn: 0, users: new Set<string>(), blocked: 0 };
      w.requests++;
      w.bytesIn += bytes;
      w.users.add(user);
      if (blocked) w.blocked++;
      want.set(appId, w);
    };
    for (const r of proxy) tally(appOf[r.host], r.user!, r.bytes, r.result === 'TCP_DENIED');
    for (const q of dns) tally(appOf[q.name], q.clientIp, 0, false);

    const { status, body } = await getJson<{ items: (AppUsage & { blocked: number })[] }>(`${service.url}/v1/apps`);
    expect(status).toBe(200);
    const got = new Map(body.items.filter((a) => a.appId !== 'perplexity').map((a) => [a.appId, a]));
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [appId, w] of want) {
      const a = got.get(appId)!;
      expect({ appId, requests: a.requests, bytesIn: a.bytesIn, users: a.users, blocked: a.blocked }).toEqual({
        appId,
        requests: w.requests,
        bytesIn: w.bytesIn,
        users: w.users.size,
        blocked: w.blocked,
      });
    }
    expect(got.get('claude')!.sanction).toBe('sanctioned');
    expect(got.get('chatgpt')!.sanction).toBe('unsanctioned');
  });

  it("shows a user's usage per app and per day", async () => {
    const { status, body } = await getJson<{ user: string; apps: { appId: string; requests: number; days: number }[] }>(
      `${service.url}/v1/users/alice/usage`,
    );
    expect(status).toBe(200);
    const apps = Object.fromEntries(body.apps.map((a) => [a.appId, a.requests]));
    expect(apps).toEqual({ chatgpt: 30, claude: 5 });
    const missing = await getJson<{ error: string }>(`${service.url}/v1/users/nobody-here/usage`);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('not_found');
  });

  it('pages through findings with a cursor without repeating or losing any', async () => {
    const all = (await getJson<{ items: Finding[] }>(`${service.url}/v1/findings?limit=100`)).body.items;
    expect(all.length).toBeGreaterThan(3);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: Finding[]; nextCursor: string | null } } = await getJson(
        `${service.url}/v1/findings?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.items.map((f) => f.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((f) => f.id));
    const bad = await getJson<{ error: string }>(`${service.url}/v1/findings?cursor=not-a-cursor`);
    expect(bad.status).toBe(400);
  });

  it('filters findings by user, app and status, and rejects unknown parameters', async () => {
    const byUser = (await getJson<{ items: Finding[] }>(`${service.url}/v1/findings?user=bob&type=unsanctioned-app`)).body.items;
    expect(byUser.map((f) => f.appId)).toEqual(['openai-api']);
    const byApp = (await getJson<{ items: Finding[] }>(`${service.url}/v1/findings?app=chatgpt&type=unsanctioned-app`)).body.items;
    expect(byApp.map((f) => f.user).sort()).toEqual(['10.9.9.9', 'alice', 'carol']);
    const resolved = (await getJson<{ items: Finding[] }>(`${service.url}/v1/findings?status=resolved`)).body.items;
    expect(resolved).toEqual([]);
    const bad = await getJson<{ error: string; message: string }>(`${service.url}/v1/findings?status=bogus`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('bad_request');
  });

  it('is ready and exports ingest metrics', async () => {
    const ready = await getJson<{ status: string; checks: Record<string, string> }>(`${service.url}/readyz`);
    expect(ready.body).toEqual({ status: 'ready', checks: { store: 'ok', kafka: 'ok' } });
    const metrics = await (await authFetch(`${service.url}/metrics`)).text();
    const proxyLines = proxyTraffic().length;
    expect(metrics).toContain(`shadow_ai_ingest_lines_total{source="kafka",format="squid",outcome="parsed"} ${proxyLines}`);
  });
});
