import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClickHouseHttp, type ClickHouseHttp } from '../support/clickhouse-http.ts';
import { squidLine } from '../support/log-lines.ts';
import { authFetch, eventually, getJson, removeDir, startService, tempDir, type Service } from '../support/service.ts';

/**
 * Two service processes on one store (CLICKHOUSE_URL), as in a scale-out: decisions taken through one
 * process's API reach the other, and only the process that delivers (FORWARD_ENABLED) sends to SIEMs.
 */
describe('several processes sharing one store', () => {
  const dir = tempDir('shared');
  let store: ClickHouseHttp;
  let a: Service;
  let b: Service;
  let receiver: Server;
  let port = 0;
  const deliveries: { key: string; findingId: string }[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        deliveries.push({ key: String(req.headers['x-shadow-ai-idempotency-key']), findingId: (JSON.parse(body) as { findingId: string }).findingId });
        // A slow receiver: a second process delivering the same outbox (its workers poll every second)
        // would find the rows still pending and send them again.
        setTimeout(() => res.writeHead(200).end('ok'), 2_500);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    port = (receiver.address() as AddressInfo).port;
    store = await startClickHouseHttp({ dataDir: join(dir, 'clickhouse') });
    const env = { CLICKHOUSE_URL: store.url, STATE_REFRESH_MS: '300', DETECT_INTERVAL_MS: '200' };
    // `a` enqueues but does not deliver; `b` delivers.
    a = await startService({ dataDir: join(dir, 'a'), env: { ...env, FORWARD_ENABLED: 'false' } });
    b = await startService({ dataDir: join(dir, 'b'), env });
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    receiver?.close();
    await store?.close();
    removeDir(dir);
  });

  it('applies a sanction decided through one process in the other', async () => {
    const sanction = async (s: Service) => (await getJson<{ status: string }>(`${s.url}/v1/apps/deepseek/sanction`)).body.status;
    expect(await sanction(b)).toBe('unsanctioned');
    const put = await authFetch(`${a.url}/v1/apps/deepseek/sanction`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'blocked', reason: 'data residency' }),
    });
    expect(put.status).toBe(200);
    expect(await sanction(a)).toBe('blocked');
    await eventually(async () => ((await sanction(b)) === 'blocked' ? true : undefined), 20_000, 'the other process sees the decision');
  });

  it('lets only the delivering process send, each finding once, to a destination added through the other', async () => {
    const put = await authFetch(`${a.url}/v1/destinations/soc`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'soc', type: 'webhook', url: `http://127.0.0.1:${port}/hook`, secret: 'shared-store-webhook-secret-0123' }),
    });
    expect(put.status).toBe(200);
    // The delivering process picks the destination up from the store.
    await eventually(async () => {
      const items = (await getJson<{ items: { config: { id: string } }[] }>(`${b.url}/v1/destinations`)).body.items;
      return items.some((d) => d.config.id === 'soc') ? true : undefined;
    }, 20_000, 'destination known to the delivering process');

    // Traffic through the process that does not deliver: its detector's findings go to the outbox.
    const at = new Date(Date.now() - 3_600_000);
    const lines = ['ria', 'sol', 'tam'].map((user, i) => squidLine({ user, clientIp: `10.40.0.${i + 1}`, host: 'poe.com', bytes: 10, at }));
    expect((await authFetch(`${a.url}/v1/ingest/squid`, { method: 'POST', body: lines.join('\n') })).status).toBe(200);
    const findings = await eventually(async () => {
      const items = (await getJson<{ items: { id: string; user: string }[] }>(`${a.url}/v1/findings?app=poe&type=unsanctioned-app`)).body.items;
      return items.length === 3 ? items : undefined;
    }, 30_000, 'three findings');
    await eventually(async () => {
      const sent = new Set(deliveries.map((d) => d.findingId));
      return findings.every((f) => sent.has(f.id)) ? true : undefined;
    }, 60_000, 'every finding delivered');
    // Give a second sender time to show up before asserting there is none.
    await new Promise((r) => setTimeout(r, 2_000));
    const keys = deliveries.map((d) => d.key);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
