import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMmdb } from '../support/mmdb/mmdb-writer.ts';
import { squidLine } from '../support/log-lines.ts';
import { authFetch, getJson, removeDir, startService, tempDir, type Service } from '../support/service.ts';

interface AiEvent {
  appId: string;
  user: string;
  matchedBy: string;
  destIp: string | null;
  destAsn: number | null;
  destAsOrg: string | null;
  destCountry: string | null;
  catalogVersion: string;
}

describe('destination enrichment (MMDB) and ASN-based classification', () => {
  const dir = tempDir('enrich');
  let service: Service;

  beforeAll(async () => {
    const asnDb = join(dir, 'asn.mmdb');
    await writeMmdb(asnDb, [{ network: '203.0.113.0/24', data: { autonomous_system_number: 64500, autonomous_system_organization: 'EXAMPLE-AI-NET' } }], {
      databaseType: 'GeoLite2-ASN',
    });
    const countryDb = join(dir, 'country.mmdb');
    await writeMmdb(countryDb, [{ network: '203.0.113.0/24', data: { country: { iso_code: 'NL' } } }], { databaseType: 'GeoLite2-Country' });
    service = await startService({ dataDir: join(dir, 'data'), env: { GEOIP_ASN_DB: asnDb, GEOIP_COUNTRY_DB: countryDb } });
  });

  afterAll(async () => {
    await service?.stop();
    removeDir(dir);
  });

  it('stores the AS number, organisation and country of the destination with each event', async () => {
    const line = squidLine({ user: 'kim', clientIp: '10.5.0.1', host: 'claude.ai', bytes: 10, at: new Date('2026-11-24T08:00:00Z') });
    expect((await authFetch(`${service.url}/v1/ingest/squid`, { method: 'POST', body: line })).status).toBe(200);
    const events = (await getJson<{ items: AiEvent[] }>(`${service.url}/v1/events?user=kim`)).body.items;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ appId: 'claude', destIp: '203.0.113.10', destAsn: 64500, destAsOrg: 'EXAMPLE-AI-NET', destCountry: 'NL' });
    expect(events[0]!.catalogVersion).toMatch(/\+[0-9a-f]{16}$/);
  });

  it("classifies IP-only traffic by the ASN of an app's provider", async () => {
    const put = await authFetch(`${service.url}/v1/catalog/custom-apps/custom-example-ai`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'custom-example-ai',
        name: 'Example AI (by ASN)',
        vendor: 'Example',
        category: 'llm-api',
        description: 'provider known by its ASN',
        homepage: 'https://ai.example.net',
        domains: [{ host: 'ai.example.net', match: 'exact' }],
        asns: [64500],
        references: ['https://ai.example.net'],
      }),
    });
    expect(put.status).toBe(200);
    const line = squidLine({ user: 'lee', clientIp: '10.5.0.2', host: '203.0.113.10', bytes: 10, at: new Date('2026-11-24T08:01:00Z') });
    await authFetch(`${service.url}/v1/ingest/squid`, { method: 'POST', body: line });
    const events = (await getJson<{ items: AiEvent[] }>(`${service.url}/v1/events?user=lee`)).body.items;
    expect(events.map((e) => [e.appId, e.matchedBy])).toEqual([['custom-example-ai', 'asn']]);
  });

  it('pages through events with a cursor', async () => {
    const lines = Array.from({ length: 5 }, (_, i) =>
      squidLine({ user: 'max', clientIp: '10.5.0.3', host: 'chatgpt.com', bytes: i, at: new Date(Date.parse('2026-11-24T09:00:00Z') + i * 1000) }),
    );
    await authFetch(`${service.url}/v1/ingest/squid`, { method: 'POST', body: lines.join('\n') });
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const r: { body: { items: { bytesIn: number }[]; nextCursor: string | null } } = await getJson(
        `${service.url}/v1/events?user=max&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...r.body.items.map((e) => e.bytesIn));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([4, 3, 2, 1, 0]);
  });
});
