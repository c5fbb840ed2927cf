import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { squidLine } from '../support/log-lines.ts';
import { authFetch, eventually, getJson, removeDir, startService, tempDir, type Service } from '../support/service.ts';

const AT = new Date('2026-11-23T09:00:00.000Z');

interface Candidate {
  host: string;
  domain: string | null;
  score: number;
  signals: string[];
  requests: number;
  users: number;
  status: string;
  sampleUserAgent: string | null;
}

describe('catalog API and discovery of unknown AI services', () => {
  const post = (path: string, body: unknown) =>
    authFetch(`${service.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const dir = tempDir('catalog');
  let service: Service;

  beforeAll(async () => {
    service = await startService({ dataDir: join(dir, 'data') });
    // Combined-format lines carry the user agent the SDK signal needs.
    const combined = (user: string, host: string, path: string, ua: string) =>
      `10.4.0.9 - ${user} [23/Nov/2026:09:00:00 +0000] "POST https://${host}${path} HTTP/1.1" 200 900 "-" "${ua}" TCP_MISS:HIER_DIRECT`;
    const lines = [
      combined('hana', 'llm.acme-internal.example', '/v1/chat/completions', 'OpenAI/Python 1.54.4'),
      combined('ivan', 'llm.acme-internal.example', '/v1/chat/completions', 'OpenAI/Python 1.54.4'),
      combined('ivan', 'llm.acme-internal.example', '/v1/embeddings', 'OpenAI/Python 1.54.4'),
      combined('hana', 'api.unlisted-vendor.example', '/generate', 'langchain-core/0.3'),
      squidLine({ user: 'hana', clientIp: '10.4.0.9', host: 'brandname.ai', bytes: 10, at: AT }),
      squidLine({ user: 'hana', clientIp: '10.4.0.9', host: 'www.wikipedia.org', bytes: 10, at: AT }),
      squidLine({ user: 'hana', clientIp: '10.4.0.9', host: 'chatgpt.com', bytes: 10, at: AT }),
    ];
    const res = await authFetch(`${service.url}/v1/ingest/squid`, { method: 'POST', body: lines.join('\n') });
    expect(res.status).toBe(200);
  });

  afterAll(async () => {
    await service?.stop();
    removeDir(dir);
  });

  it('lists unknown hosts with AI signals as candidates, strongest first, and nothing else', async () => {
    const { status, body } = await getJson<{ items: Candidate[] }>(`${service.url}/v1/catalog/candidates`);
    expect(status).toBe(200);
    expect(body.items.map((c) => c.host)).toEqual(['llm.acme-internal.example', 'api.unlisted-vendor.example']);
    const [llm, sdk] = body.items;
    expect(llm).toMatchObject({ domain: 'acme-internal.example', requests: 3, users: 2, status: 'new', sampleUserAgent: 'OpenAI/Python 1.54.4' });
    expect(llm!.signals).toEqual(['ai-keyword-host', 'ai-sdk-user-agent', 'llm-api-path']);
    expect(llm!.score).toBe(11);
    expect(sdk).toMatchObject({ requests: 1, users: 1, signals: ['ai-sdk-user-agent'], score: 4 });
  });

  it('keeps candidates out of AI app usage and findings', async () => {
    const apps = (await getJson<{ items: { appId: string }[] }>(`${service.url}/v1/apps`)).body.items;
    expect(apps.map((a) => a.appId)).toEqual(['chatgpt']);
    const findings = await eventually(async () => {
      const items = (await getJson<{ items: { appId: string }[] }>(`${service.url}/v1/findings?type=unsanctioned-app`)).body.items;
      return items.length > 0 ? items : undefined;
    }, 30_000, 'the detector to run');
    expect(findings.map((f) => f.appId)).toEqual(['chatgpt']);
  });

  it('confirming a candidate makes it a custom app that classifies new traffic', async () => {
    const before = (await getJson<{ version: string; customApps: number }>(`${service.url}/v1/catalog`)).body;
    expect(before.customApps).toBe(0);
    const res = await post(`/v1/catalog/candidates/llm.acme-internal.example/confirm`, { name: 'ACME LLM gateway', category: 'llm-api', note: 'internal gateway' });
    expect(res.status).toBe(200);
    const created = (await res.json()) as { id: string; custom: boolean; domains: { host: string }[] };
    expect(created).toMatchObject({ id: 'custom-llm-acme-internal-example', custom: true, domains: [{ host: 'llm.acme-internal.example', match: 'exact' }] });
    const after = (await getJson<{ version: string; customApps: number }>(`${service.url}/v1/catalog`)).body;
    expect(after.customApps).toBe(1);
    expect(after.version).not.toBe(before.version);

    const line = `10.4.0.9 - judy [23/Nov/2026:10:00:00 +0000] "POST https://llm.acme-internal.example/v1/chat/completions HTTP/1.1" 200 700 "-" "curl/8.5" TCP_MISS:HIER_DIRECT`;
    expect((await authFetch(`${service.url}/v1/ingest/squid`, { method: 'POST', body: line })).status).toBe(200);
    const apps = (await getJson<{ items: { appId: string; requests: number; users: number }[] }>(`${service.url}/v1/apps`)).body.items;
    expect(apps.find((a) => a.appId === 'custom-llm-acme-internal-example')).toMatchObject({ requests: 1, users: 1 });

    const confirmed = (await getJson<{ items: Candidate[] }>(`${service.url}/v1/catalog/candidates?status=confirmed`)).body.items;
    // Once catalogued it is no longer a candidate at all.
    expect(confirmed).toEqual([]);
    const dismissed = await post(`/v1/catalog/candidates/api.unlisted-vendor.example/dismiss`, { note: 'test vendor' });
    expect(dismissed.status).toBe(200);
    const listed = (await getJson<{ items: Candidate[] }>(`${service.url}/v1/catalog/candidates?status=dismissed`)).body.items;
    expect(listed.map((c) => c.host)).toEqual(['api.unlisted-vendor.example']);
    expect((await post(`/v1/catalog/candidates/never-seen.example/dismiss`, {})).status).toBe(404);
  });

  it('manages custom apps: validated, never claiming a shipped domain, removable', async () => {
    const app = {
      id: 'custom-research-bot',
      name: 'Research bot',
      vendor: 'ACME',
      category: 'agent-platform',
      description: 'Internal research agent',
      homepage: 'https://bot.acme-internal.example',
      domains: [{ host: 'bot.acme-internal.example', match: 'exact' }],
      references: ['https://bot.acme-internal.example'],
    };
    const put = (id: string, body: unknown) =>
      authFetch(`${service.url}/v1/catalog/custom-apps/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await put(app.id, app)).status).toBe(200);
    const clash = await put('custom-clash', { ...app, id: 'custom-clash', domains: [{ host: 'chatgpt.com', match: 'exact' }] });
    expect(clash.status).toBe(409);
    expect(((await clash.json()) as { message: string }).message).toContain('chatgpt.com is already claimed by chatgpt');
    expect((await put('custom-bad', { ...app, id: 'custom-bad', domains: [{ host: 'co.uk', match: 'suffix' }] })).status).toBe(400);
    expect((await put('custom-other', app)).status).toBe(400);
    expect((await put('chatgpt', { ...app, id: 'chatgpt' })).status).toBe(400);
    const list = (await getJson<{ items: { id: string }[] }>(`${service.url}/v1/catalog/custom-apps`)).body.items.map((a) => a.id);
    expect(list.sort()).toEqual(['custom-llm-acme-internal-example', 'custom-research-bot']);
    expect((await authFetch(`${service.url}/v1/catalog/custom-apps/custom-research-bot`, { method: 'DELETE' })).status).toBe(204);
    expect((await authFetch(`${service.url}/v1/catalog/custom-apps/custom-research-bot`, { method: 'DELETE' })).status).toBe(404);
  });

  it('serves the catalog with risk scores, filters and cursor pages', async () => {
    const one = await getJson<{ id: string; riskScore: number; risk: { hqCountry: string }; domains: { host: string }[] }>(
      `${service.url}/v1/catalog/apps/chatgpt`,
    );
    expect(one.status).toBe(200);
    expect(one.body.domains.map((d) => d.host)).toContain('chatgpt.com');
    expect(one.body.riskScore).toBeGreaterThanOrEqual(0);
    expect(one.body.riskScore).toBeLessThanOrEqual(10);
    expect((await getJson(`${service.url}/v1/catalog/apps/no-such-app`)).status).toBe(404);

    const llmApis = (await getJson<{ items: { category: string }[] }>(`${service.url}/v1/catalog/apps?category=llm-api&limit=500`)).body.items;
    expect(llmApis.length).toBeGreaterThan(0);
    expect(llmApis.every((a) => a.category === 'llm-api')).toBe(true);
    const search = (await getJson<{ items: { id: string }[] }>(`${service.url}/v1/catalog/apps?q=anthropic`)).body.items.map((a) => a.id);
    expect(search).toContain('anthropic-api');

    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await getJson(
        `${service.url}/v1/catalog/apps?limit=37${cursor ? `&cursor=${cursor}` : ''}`,
      );
      all.push(...page.body.items.map((a) => a.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(all).size).toBe(all.length);
    const stats = (await getJson<{ items: unknown[] }>(`${service.url}/v1/catalog/apps?limit=500`)).body.items.length;
    expect(all.length).toBe(stats);
  });

  it('keeps custom apps and candidate decisions across a restart', async () => {
    await service.stop();
    service = await startService({ dataDir: join(dir, 'data') });
    const list = (await getJson<{ items: { id: string }[] }>(`${service.url}/v1/catalog/custom-apps`)).body.items.map((a) => a.id);
    expect(list).toEqual(['custom-llm-acme-internal-example']);
    const dismissed = (await getJson<{ items: Candidate[] }>(`${service.url}/v1/catalog/candidates?status=dismissed`)).body.items;
    expect(dismissed.map((c) => c.host)).toEqual(['api.unlisted-vendor.example']);
  });
});
