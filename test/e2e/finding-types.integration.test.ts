import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { squidLine } from '../support/log-lines.ts';
import { authFetch, eventually, getJson, removeDir, startService, tempDir, type Service } from '../support/service.ts';

interface Finding {
  id: string;
  type: string;
  user: string;
  appId: string;
  key: string;
  severity: number;
  requests: number;
  bytesOut: number;
  evidence: Record<string, unknown>;
  framework: { zeroTrust: string; nistAiRmf: string };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** A CEF proxy event (the shape Zscaler and other proxies send), which carries bytes uploaded. */
function cef(o: { user: string; src: string; host: string; path: string; method: string; out: number; at: Date; ua?: string; act?: string }): string {
  const d = o.at;
  const p = (n: number) => String(n).padStart(2, '0');
  const rt = `${MONTHS[d.getUTCMonth()]} ${p(d.getUTCDate())} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  return `CEF:0|Zscaler|NSSWeblog|6.2|Allowed|Allowed|3|rt=${rt} act=${o.act ?? 'Allowed'} dhost=${o.host} src=${o.src} dpt=443 suser=${o.user} request=https://${o.host}${o.path} requestMethod=${o.method} requestClientApplication=${o.ua ?? 'Mozilla/5.0'} out=${o.out} in=100 outcome=200`;
}

describe('finding types', () => {
  const dir = tempDir('types');
  let service: Service;
  const T = Date.parse('2026-11-20T09:00:00Z');

  const ingest = (format: string, lines: string[]) =>
    authFetch(`${service.url}/v1/ingest/${format}`, { method: 'POST', body: lines.join('\n'), headers: { 'idempotency-key': `${format}-${Math.random()}` } }).then(
      async (r) => {
        expect(r.status, await r.clone().text()).toBe(200);
        return (await r.json()) as { stored: number; rejected: number };
      },
    );
  const findings = (query: string) => getJson<{ items: Finding[] }>(`${service.url}/v1/findings?limit=200&${query}`).then((r) => r.body.items);
  const waitFor = (query: string, pred: (f: Finding[]) => boolean, what: string) =>
    eventually(async () => {
      const f = await findings(query);
      return pred(f) ? f : undefined;
    }, 30_000, what);

  beforeAll(async () => {
    service = await startService({ dataDir: join(dir, 'data'), env: { DETECT_INTERVAL_MS: '200', DETECT_SPIKE_MIN_REQUESTS: '20' } });
  });

  afterAll(async () => {
    await service?.stop();
    removeDir(dir);
  });

  it('orphaned agent: a service account whose registration expired calls an LLM API', async () => {
    const res = await authFetch(`${service.url}/v1/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identity: 'svc-report-bot', kind: 'service-account', sponsor: 'alice', expiresAt: new Date(Date.now() + 1500).toISOString(), allowedApps: ['openai-api'] }),
    });
    expect(res.status).toBe(201);
    await new Promise((r) => setTimeout(r, 1700));
    await ingest('cef', [cef({ user: 'svc-report-bot', src: '10.11.0.9', host: 'api.openai.com', path: '/v1/chat/completions', method: 'POST', out: 2048, at: new Date(T), ua: 'OpenAI/Python 1.54.4' })]);
    const f = await waitFor('type=orphaned-agent', (x) => x.length === 1, 'orphaned-agent finding');
    expect(f[0]).toMatchObject({ user: 'svc-report-bot', appId: 'openai-api', evidence: { reason: 'registration expired', sponsor: 'alice' } });
    expect(f[0]!.framework.zeroTrust).toBe('least privilege');
    // Its allowed app: no outside-allowlist finding for it.
    expect(await findings('type=agent-outside-allowlist&user=svc-report-bot')).toEqual([]);
  });

  it('unregistered agent: a host without a user calls an LLM API with an SDK user agent', async () => {
    await ingest('cef', [cef({ user: '-', src: '10.11.0.5', host: 'api.anthropic.com', path: '/v1/messages', method: 'POST', out: 900, at: new Date(T), ua: 'anthropic-sdk-python/0.40.0' })].map((l) => l.replace(' suser=- ', ' ')));
    const f = await waitFor('type=unregistered-agent', (x) => x.some((y) => y.user === '10.11.0.5'), 'unregistered-agent finding');
    expect(f.find((y) => y.user === '10.11.0.5')).toMatchObject({ appId: 'anthropic-api' });
    const prog = await findings('type=programmatic-api-use&user=10.11.0.5');
    expect(prog).toHaveLength(1);
  });

  it('agent outside its allow list', async () => {
    await authFetch(`${service.url}/v1/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identity: 'svc-summariser', kind: 'service-account', sponsor: 'bob', allowedApps: ['openai-api'] }),
    });
    await ingest('cef', [cef({ user: 'svc-summariser', src: '10.11.0.10', host: 'api.mistral.ai', path: '/v1/chat/completions', method: 'POST', out: 100, at: new Date(T), ua: 'mistralai-python' })]);
    const f = await waitFor('type=agent-outside-allowlist', (x) => x.some((y) => y.user === 'svc-summariser'), 'outside-allowlist finding');
    expect(f.find((y) => y.user === 'svc-summariser')!.evidence.allowedApps).toEqual(['openai-api']);
    expect(await findings('type=orphaned-agent&user=svc-summariser')).toEqual([]);
  });

  it('blocked app: attempts the proxy blocked, and an enforcement gap where it let them through', async () => {
    const put = await authFetch(`${service.url}/v1/apps/character-ai/sanction`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'blocked', reason: 'policy' }) });
    expect(put.status).toBe(200);
    await ingest('squid', [
      squidLine({ user: 'gus', clientIp: '10.11.1.1', host: 'character.ai', bytes: 10, at: new Date(T), result: 'TCP_DENIED', status: 403 }),
      squidLine({ user: 'gus', clientIp: '10.11.1.1', host: 'character.ai', bytes: 10, at: new Date(T + 1000), result: 'TCP_DENIED', status: 403 }),
      squidLine({ user: 'gus', clientIp: '10.11.1.1', host: 'neo.character.ai', bytes: 10, at: new Date(T + 2000) }),
    ]);
    const attempt = await waitFor('type=blocked-app-attempt&user=gus', (x) => x.length === 1, 'blocked attempts');
    expect(attempt[0]!.requests).toBe(2);
    const gap = await waitFor('type=enforcement-gap&user=gus', (x) => x.length === 1, 'enforcement gap');
    expect(gap[0]).toMatchObject({ requests: 1, evidence: { allowedRequests: 1, hosts: [{ host: 'neo.character.ai', requests: 1 }] } });
    expect(gap[0]!.severity).toBeGreaterThan(attempt[0]!.severity);
  });

  it('large upload: far above the threshold and the user baseline, to an unsanctioned app', async () => {
    const day = (n: number) => new Date(T - n * 86_400_000);
    const lines = [1, 2, 3].map((n) => cef({ user: 'hal', src: '10.11.2.1', host: 'claude.ai', path: '/api/upload', method: 'POST', out: 50_000, at: day(n) }));
    lines.push(cef({ user: 'hal', src: '10.11.2.1', host: 'claude.ai', path: '/api/upload', method: 'POST', out: 40 * 1024 * 1024, at: new Date(T) }));
    await ingest('cef', lines);
    const f = await waitFor('type=large-upload&user=hal', (x) => x.length === 1, 'large-upload finding');
    expect(f[0]).toMatchObject({ appId: 'claude', key: '2026-11-20', bytesOut: 40 * 1024 * 1024 });
    expect(f[0]!.evidence.dailyBaseline30d).toBe(5000);
  });

  it('usage spike, DoH resolvers, new apps and candidate services', async () => {
    const lines: string[] = [];
    for (let d = 7; d >= 1; d--) for (let i = 0; i < 2; i++) lines.push(squidLine({ user: `u${i}`, clientIp: '10.11.3.1', host: 'www.perplexity.ai', bytes: 1, at: new Date(T - d * 86_400_000 + i) }));
    for (let i = 0; i < 30; i++) lines.push(squidLine({ user: `u${i % 5}`, clientIp: '10.11.3.1', host: 'www.perplexity.ai', bytes: 1, at: new Date(T + i) }));
    lines.push(squidLine({ user: 'ivy', clientIp: '10.11.3.2', host: 'dns.google', bytes: 1, at: new Date(T) }));
    await ingest('squid', lines);
    await ingest('squid', [
      `10.11.3.3 - jo [20/Nov/2026:09:00:00 +0000] "POST https://llm.internal.example/v1/chat/completions HTTP/1.1" 200 100 "-" "OpenAI/Python 1.54.4" TCP_MISS:HIER_DIRECT`,
    ]);
    const spike = await waitFor('type=usage-spike', (x) => x.some((y) => y.appId === 'perplexity'), 'usage spike');
    expect(spike.find((y) => y.appId === 'perplexity')).toMatchObject({ key: '2026-11-20', requests: 30, evidence: { average7d: 2 } });
    const doh = await waitFor('type=doh-resolver', (x) => x.some((y) => y.user === 'ivy'), 'DoH finding');
    expect(doh.find((y) => y.user === 'ivy')!.evidence.resolvers).toEqual(['dns.google']);
    const fresh = await findings('type=new-app-in-org&app=perplexity');
    expect(fresh).toHaveLength(1);
    expect(fresh[0]!.user).toBe('');
    const cand = await waitFor('type=new-candidate-service', (x) => x.some((y) => y.key === 'llm.internal.example'), 'candidate finding');
    expect(cand.find((y) => y.key === 'llm.internal.example')!.evidence.signals).toEqual(['ai-keyword-host', 'ai-sdk-user-agent', 'llm-api-path']);
  });

  it('re-running detection over the same data creates no duplicate findings', async () => {
    const before = (await findings('')).map((f) => `${f.id}:${f.requests}`).sort();
    await service.stop();
    service = await startService({ dataDir: join(dir, 'data'), env: { DETECT_INTERVAL_MS: '200', DETECT_SPIKE_MIN_REQUESTS: '20' } });
    const after = (await findings('')).map((f) => `${f.id}:${f.requests}`).sort();
    expect(after).toEqual(before);
    const types = await getJson<{ items: { type: string }[] }>(`${service.url}/v1/finding-types`);
    expect(types.body.items).toHaveLength(12);
  });
});
