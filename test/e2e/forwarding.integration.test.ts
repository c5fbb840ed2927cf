import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { squidLine } from '../support/log-lines.ts';
import { authFetch, eventually, getJson, removeDir, startService, tempDir, type Service } from '../support/service.ts';

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('forwarding findings from the running service to a webhook', () => {
  const dir = tempDir('fwd');
  const secret = 'webhook-signing-secret-0123456789';
  let service: Service;
  let receiver: Server;
  let port = 0;
  const received: Received[] = [];

  const listen = () =>
    new Promise<void>((resolve) => {
      receiver = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          received.push({ headers: req.headers, body });
          res.writeHead(200).end('ok');
        });
      });
      receiver.listen(port, '127.0.0.1', () => {
        port = (receiver.address() as AddressInfo).port;
        resolve();
      });
    });

  beforeAll(async () => {
    await listen();
    service = await startService({ dataDir: join(dir, 'data'), env: { DETECT_INTERVAL_MS: '200' } });
  });

  afterAll(async () => {
    await service?.stop();
    receiver?.close();
    removeDir(dir);
  });

  const putDestination = () =>
    authFetch(`${service.url}/v1/destinations/soc-webhook`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'soc-webhook', type: 'webhook', url: `http://127.0.0.1:${port}/hook`, secret }),
    });

  it('delivers each new finding once, signed, with an idempotency key; status and metrics show it', async () => {
    expect((await putDestination()).status).toBe(200);
    const list = (await getJson<{ items: { config: Record<string, unknown> }[] }>(`${service.url}/v1/destinations`)).body.items;
    expect(list[0]!.config).toMatchObject({ id: 'soc-webhook', secret: '[redacted]' });

    await authFetch(`${service.url}/v1/ingest/squid`, {
      method: 'POST',
      body: [squidLine({ user: 'kai', clientIp: '10.12.0.1', host: 'poe.com', bytes: 1, at: new Date('2026-11-24T10:00:00Z') })].join('\n'),
    });
    const findings = await eventually(async () => {
      const items = (await getJson<{ items: { id: string }[] }>(`${service.url}/v1/findings?user=kai`)).body.items;
      return items.length > 0 ? items : undefined;
    }, 30_000, 'findings');
    const delivered = await eventually(async () => {
      const ids = new Set(received.map((r) => (JSON.parse(r.body) as { findingId: string }).findingId));
      return findings.every((f) => ids.has(f.id)) ? received : undefined;
    }, 30_000, 'webhook deliveries');
    for (const r of delivered) {
      const ts = String(r.headers['x-shadow-ai-timestamp']);
      const expected = `sha256=${createHmac('sha256', secret).update(`${ts}.${r.body}`).digest('hex')}`;
      expect(r.headers['x-shadow-ai-signature']).toBe(expected);
      expect(String(r.headers['x-shadow-ai-idempotency-key'])).toMatch(/^[0-9a-f]{64}$/);
    }
    const keys = delivered.map((r) => String(r.headers['x-shadow-ai-idempotency-key']));
    expect(new Set(keys).size).toBe(keys.length);
    expect(delivered.map((r) => (JSON.parse(r.body) as { idempotencyId: string }).idempotencyId)).toEqual(keys);

    const status = await eventually(async () => {
      const items = (await getJson<{ items: { status: { delivered: number; pending: number } | null }[] }>(`${service.url}/v1/destinations`)).body.items;
      return items[0]?.status && items[0].status.pending === 0 && items[0].status.delivered >= findings.length ? items[0].status : undefined;
    }, 30_000, 'status');
    expect(status.delivered).toBeGreaterThanOrEqual(findings.length);
    const metrics = await (await authFetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/shadow_ai_forward_delivered\{destination="soc-webhook"\} [1-9]/);
  });

  it('answers a test send, and reports a failure when the receiver is down', async () => {
    const ok = await authFetch(`${service.url}/v1/destinations/soc-webhook/test`, { method: 'POST' });
    expect(await ok.json()).toEqual({ ok: true, error: null });
    await new Promise<void>((r) => receiver.close(() => r()));
    const down = (await (await authFetch(`${service.url}/v1/destinations/soc-webhook/test`, { method: 'POST' })).json()) as { ok: boolean; error: string };
    expect(down.ok).toBe(false);
    expect(down.error.length).toBeGreaterThan(0);
    await listen();
    expect((await authFetch(`${service.url}/v1/destinations/nope/test`, { method: 'POST' })).status).toBe(404);
    const bad = await authFetch(`${service.url}/v1/destinations/x`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'x', type: 'webhook', url: 'ftp://x' }) });
    expect(bad.status).toBe(400);
  });
});
