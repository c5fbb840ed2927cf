import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { squidLine } from '../support/log-lines.ts';
import { authFetch, eventually, getJson, removeDir, startService, tempDir, TEST_ADMIN_TOKEN, type Service } from '../support/service.ts';
import { launchConsoleBrowser, openConsole, screenshot as shot, type Watched } from './browser.ts';

interface Finding {
  id: string;
  user: string;
  appId: string;
  type: string;
  status: string;
  severity: number;
  history?: { fromStatus: string; toStatus: string; reason: string }[];
}

interface Agent {
  id: string;
  identity: string;
  kind: string;
  sponsor: string;
  expiresAt: string | null;
  allowedApps: string[];
  description: string;
}

describe('web console in a real browser against the running service', () => {
  const dir = tempDir('console');
  let service: Service;
  let browser: Browser;
  const keys: Record<'viewer' | 'analyst', string> = { viewer: '', analyst: '' };
  const now = Date.now();
  const hoursAgo = (h: number, ms = 0) => new Date(now - h * 3_600_000 + ms);

  const api = (path: string, init: RequestInit = {}) => authFetch(`${service.url}${path}`, init);
  const findingsOf = async (query: string) => (await getJson<{ items: Finding[] }>(`${service.url}/v1/findings?${query}`)).body.items;
  const findingById = async (id: string) => (await getJson<Finding>(`${service.url}/v1/findings/${id}`)).body;

  const open = (token: string, path: string, opts: { signIn?: boolean } = {}): Promise<Watched> => openConsole(browser, service.url, token, path, opts);

  beforeAll(async () => {
    // First, so a missing Chromium fails the file before any seeding; it also builds the console from the sources.
    browser = await launchConsoleBrowser();
    service = await startService({ dataDir: join(dir, 'data'), env: { DETECT_INTERVAL_MS: '200' } });

    // Six users on four catalogued apps over two days, plus two uncatalogued hosts with AI signals.
    const traffic: [string, string, number][] = [
      ['ada', 'chatgpt.com', 3],
      ['bo', 'chatgpt.com', 2],
      ['cy', 'claude.ai', 2],
      ['dee', 'claude.ai', 1],
      ['eve', 'gemini.google.com', 2],
      ['fox', 'www.perplexity.ai', 1],
      ['ada', 'claude.ai', 1],
    ];
    const lines: string[] = [];
    for (const [user, host, n] of traffic) {
      for (let i = 0; i < n; i++) {
        lines.push(squidLine({ user, clientIp: '10.20.0.5', host, bytes: 500 + i, at: hoursAgo(1, i) }));
        lines.push(squidLine({ user, clientIp: '10.20.0.5', host, bytes: 700 + i, at: hoursAgo(26, i) }));
      }
    }
    const combined = (user: string, host: string, path: string, ua: string) =>
      `10.20.0.9 - ${user} [${new Date(now - 3_600_000).toUTCString().replace(/^\w+, (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$1/$2/$3:$4 +0000')}] "POST https://${host}${path} HTTP/1.1" 200 900 "-" "${ua}" TCP_MISS:HIER_DIRECT`;
    lines.push(
      combined('hana', 'llm.acme-internal.example', '/v1/chat/completions', 'OpenAI/Python 1.54.4'),
      combined('ivan', 'llm.acme-internal.example', '/v1/embeddings', 'OpenAI/Python 1.54.4'),
      combined('hana', 'api.unlisted-vendor.example', '/generate', 'langchain-core/0.3'),
    );
    const res = await api('/v1/ingest/squid', { method: 'POST', body: lines.join('\n') });
    expect(res.status, await res.clone().text()).toBe(200);

    for (const role of ['viewer', 'analyst'] as const) {
      const k = await api('/v1/keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `console-${role}`, role }) });
      expect(k.status).toBe(201);
      keys[role] = ((await k.json()) as { key: string }).key;
    }
    // The detector runs every 200 ms: wait until every user's unsanctioned-app finding exists.
    await eventually(async () => {
      const items = await findingsOf('type=unsanctioned-app&limit=100');
      return new Set(items.map((f) => f.user)).size >= 6 ? items : undefined;
    }, 60_000, 'unsanctioned-app findings for all six users');
  });

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    removeDir(dir);
  });

  it('serves the shell and client routes with a CSP for the console, hashed assets cached for a year, and keeps them out of the API docs', async () => {
    for (const path of ['/', '/findings', '/findings/0123456789abcdef01234567', '/users/ada']) {
      const res = await fetch(`${service.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const html = await res.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(asset).toBeDefined();
      const js = await fetch(`${service.url}${asset!}`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toContain('javascript');
      expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    expect((await fetch(`${service.url}/assets/missing-123.js`)).status).toBe(404);
    expect((await fetch(`${service.url}/assets/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${service.url}/not-a-console-page`)).status).toBe(404);
    // The API itself keeps the strict policy and never caches.
    const apiRes = await api('/v1/findings?limit=1');
    expect(apiRes.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(apiRes.headers.get('cache-control')).toBe('no-store');
    const doc = (await (await fetch(`${service.url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => !p.startsWith('/v1/') && !['/healthz', '/readyz', '/metrics'].includes(p))).toEqual([]);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/overview', '/v1/inventory', '/v1/me', '/v1/findings/bulk']));
  });

  it('aggregates the overview from the stored usage and triages in bulk with the same workflow check as PATCH', async () => {
    const o = (await getJson<{ apps: number; users: number; requests: number; unsanctionedShare: number; daily: { day: string; requests: number }[]; topApps: { appId: string; riskScore: number | null }[]; topUsers: { user: string }[] }>(`${service.url}/v1/overview?days=7`)).body;
    // 12 catalogued requests an hour ago and 12 a day earlier (the candidates are not AI app usage).
    expect(o).toMatchObject({ apps: 4, users: 6, requests: 24, unsanctionedShare: 1 });
    expect(o.daily.reduce((n, d) => n + d.requests, 0)).toBe(24);
    expect(o.topApps[0]).toMatchObject({ appId: 'chatgpt' });
    expect(o.topApps[0]!.riskScore).toBeGreaterThan(0);
    expect(o.topUsers[0]!.user).toBe('ada');
    expect((await api('/v1/overview?days=0')).status).toBe(400);
    const inv = (await getJson<{ items: { appId: string }[]; nextCursor: string | null }>(`${service.url}/v1/inventory?limit=3`)).body;
    expect(inv.items).toHaveLength(3);
    const rest = (await getJson<{ items: { appId: string }[]; nextCursor: string | null }>(`${service.url}/v1/inventory?limit=3&cursor=${inv.nextCursor!}`)).body;
    expect([...inv.items, ...rest.items].map((a) => a.appId).sort()).toEqual(['chatgpt', 'claude', 'google-gemini', 'perplexity']);
    expect(rest.nextCursor).toBeNull();

    const [f] = await findingsOf('user=fox&type=unsanctioned-app');
    const bulk = (body: object, token = TEST_ADMIN_TOKEN) =>
      api('/v1/findings/bulk', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    expect((await bulk({ ids: [f!.id], status: 'acknowledged' }, keys.viewer)).status).toBe(403);
    expect((await bulk({ ids: [], status: 'acknowledged' })).status).toBe(400);
    const noReason = (await (await bulk({ ids: [f!.id, '0123456789abcdef01234567'], status: 'suppressed' })).json()) as { updated: number; results: { ok: boolean; error: string | null }[] };
    expect(noReason).toMatchObject({ updated: 0, results: [{ ok: false, error: 'reason_required' }, { ok: false, error: 'not_found' }] });
    const done = (await (await bulk({ ids: [f!.id], status: 'resolved', reason: 'test' }, keys.analyst)).json()) as { updated: number };
    expect(done.updated).toBe(1);
    const wrong = (await (await bulk({ ids: [f!.id], status: 'acknowledged' })).json()) as { results: { ok: boolean; error: string | null }[] };
    expect(wrong.results).toEqual([expect.objectContaining({ ok: false, error: 'invalid_transition' })]);
    expect((await findingById(f!.id)).status).toBe('resolved');
    const all = await findingsOf('limit=500');
    const top = Math.max(...all.map((x) => x.severity));
    const severe = await findingsOf(`minSeverity=${top}&limit=500`);
    expect(severe.length).toBeGreaterThan(0);
    expect(severe.length).toBe(all.filter((x) => x.severity >= top).length);
  });

  it('loads every page without console errors or failed requests, and shows the seeded data', async () => {
    const w = await open(TEST_ADMIN_TOKEN, '/');
    const { page } = w;
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    const appsStat = page.locator('.stat', { hasText: 'AI apps discovered' }).locator('.stat-value');
    await expect.poll(() => appsStat.textContent()).toBe('4');
    expect(await page.locator('.stat', { hasText: 'Active users' }).locator('.stat-value').textContent()).toBe('6');
    // Every app is unsanctioned by default, so all catalogued use is unsanctioned.
    expect(await page.locator('.stat', { hasText: 'Unsanctioned share' }).locator('.stat-value').textContent()).toBe('100 %');
    await page.locator('canvas').waitFor();
    await page.getByRole('region', { name: 'Newest open findings' }).getByRole('link').first().waitFor();
    await shot(page, '01-overview');

    await page.getByRole('link', { name: 'Findings', exact: true }).click();
    await page.locator('tr[data-finding-id]').first().waitFor();
    await shot(page, '02-findings');
    const first = page.locator('tr[data-finding-id]').first();
    const id = await first.getAttribute('data-finding-id');
    await first.locator('a').first().click();
    await page.waitForURL(`**/findings/${id}`);
    await page.getByRole('heading', { name: 'Evidence' }).waitFor();
    await shot(page, '03-finding-detail');

    await page.getByRole('link', { name: 'App inventory' }).click();
    await page.locator('tr[data-app-id="chatgpt"]').waitFor();
    expect(await page.locator('tr[data-app-id]').count()).toBe(4);
    await shot(page, '04-apps');

    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('link', { name: 'ada', exact: true }).click();
    await page.getByRole('heading', { name: 'User ada' }).waitFor();
    await page.getByRole('region', { name: 'Apps', exact: true }).getByText('ChatGPT').waitFor();
    await page.getByRole('region', { name: 'Findings, highest severity first' }).getByRole('link').first().waitFor();
    await shot(page, '05-user');

    await page.getByRole('link', { name: 'Candidates' }).click();
    await page.locator('tr[data-host="llm.acme-internal.example"]').waitFor();
    await shot(page, '06-candidates');

    await page.getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('heading', { name: 'Agent identities' }).waitFor();
    await page.getByText('No agents registered yet').waitFor();
    await shot(page, '07-agents');

    // A deep link loads the page itself after sign-in (the server answers client routes with the shell).
    await page.goto(`${service.url}/users/bo`);
    await page.getByRole('heading', { name: 'User bo' }).waitFor();
    await page.getByRole('region', { name: 'Apps', exact: true }).getByText('ChatGPT').waitFor();
    expect(w.problems).toEqual([]);
    await w.context.close();
  });

  it('refuses a wrong credential at sign-in and goes back to sign-in when the API stops accepting the key', async () => {
    const w = await open('', '/findings', { signIn: false });
    const { page } = w;
    await page.getByLabel('API key or bearer token').fill('saw_000000000000_' + 'A'.repeat(43));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'refused this credential' }).waitFor();
    expect(w.problems.filter((p) => !p.includes('401'))).toEqual([]);

    const k = await api('/v1/keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'short-lived', role: 'viewer' }) });
    const { id, key } = (await k.json()) as { id: string; key: string };
    await page.getByLabel('API key or bearer token').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Findings', level: 1 }).waitFor();
    expect(page.url()).toBe(`${service.url}/findings`);
    // The list must have loaded with the key still valid; revoked during its request, the console
    // would (rightly) go to sign-in before the click below.
    await page.getByRole('navigation', { name: 'Findings pages' }).waitFor();
    await page.waitForLoadState('networkidle');
    expect((await api(`/v1/keys/${id}`, { method: 'DELETE' })).status).toBe(200);
    await page.getByRole('link', { name: 'Agents' }).click();
    await page.getByLabel('API key or bearer token').waitFor();
    expect(new URL(page.url()).pathname).toBe('/signin');
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await w.context.close();
  });

  it('triages through the UI — acknowledge and resolve one finding, bulk acknowledge and suppress — as the API then shows', async () => {
    const w = await open(keys.analyst, '/findings');
    const { page } = w;
    const [target] = await findingsOf('user=eve&type=unsanctioned-app');
    expect(target?.status).toBe('open');

    await page.goto(`${service.url}/findings/${target!.id}`);
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByRole('cell', { name: 'open → acknowledged' }).waitFor();
    expect((await findingById(target!.id)).status).toBe('acknowledged');

    // Resolving needs a reason: without one the console asks for it and nothing changes.
    await page.getByRole('button', { name: 'Resolve' }).click();
    await page.getByRole('alert').filter({ hasText: 'give a reason' }).waitFor();
    expect((await findingById(target!.id)).status).toBe('acknowledged');
    await page.getByLabel(/^Reason/).fill('moved to the sanctioned tenant');
    await page.getByRole('button', { name: 'Resolve' }).click();
    await page.getByRole('cell', { name: 'acknowledged → resolved' }).waitFor();
    const resolved = await findingById(target!.id);
    expect(resolved.status).toBe('resolved');
    expect(resolved.history!.at(-1)).toMatchObject({ fromStatus: 'acknowledged', toStatus: 'resolved', reason: 'moved to the sanctioned tenant' });

    // Bulk: the two claude.ai users' findings.
    await page.goto(`${service.url}/findings?app=claude&type=unsanctioned-app&status=open`);
    const rows = page.locator('tr[data-finding-id]');
    await expect.poll(() => rows.count()).toBe(3);
    const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-finding-id')!));
    await rows.nth(0).getByRole('checkbox').check();
    await rows.nth(1).getByRole('checkbox').check();
    await page.getByRole('region', { name: 'Bulk triage' }).getByText('2 selected').waitFor();
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByRole('status').filter({ hasText: '2 findings now acknowledged' }).waitFor();
    expect((await findingById(ids[0]!)).status).toBe('acknowledged');
    expect((await findingById(ids[1]!)).status).toBe('acknowledged');
    expect((await findingById(ids[2]!)).status).toBe('open');
    // The list was filtered to open findings, so only the third is left.
    await expect.poll(() => rows.count()).toBe(1);

    await page.goto(`${service.url}/findings?app=claude&type=unsanctioned-app`);
    await expect.poll(() => rows.count()).toBe(3);
    await page.getByRole('checkbox', { name: 'Select all findings on this page' }).check();
    await page.getByRole('button', { name: 'Suppress' }).click();
    await page.getByRole('status').filter({ hasText: 'give a reason' }).waitFor();
    for (const fid of ids) expect((await findingById(fid)).status).not.toBe('suppressed');
    await page.getByRole('textbox', { name: 'Reason' }).fill('approved pilot');
    await page.getByRole('button', { name: 'Suppress' }).click();
    await page.getByRole('status').filter({ hasText: '3 findings now suppressed' }).waitFor();
    for (const fid of ids) expect((await findingById(fid)).status).toBe('suppressed');
    await shot(page, '08-findings-bulk');
    expect(w.problems).toEqual([]);
    await w.context.close();
  });

  it('reaches a finding with the keyboard alone and opens it with Enter', async () => {
    const w = await open(keys.viewer, '/findings');
    const { page } = w;
    await page.locator('tr[data-finding-id]').first().waitFor();
    let reached: string | null = null;
    // Tab order: skip link, navigation, sign-out, filters, then the rows.
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.locator(':focus').getAttribute('data-finding-id', { timeout: 2_000 }).catch(() => null);
    }
    expect(reached, 'a finding row is reachable by Tab').toMatch(/^[0-9a-f]{24}$/);
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/findings/${reached}`);
    await page.getByRole('heading', { name: 'Triage history' }).waitFor();
    // A viewer reads findings but gets no triage controls.
    expect(await page.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    expect(w.problems).toEqual([]);
    await w.context.close();
  });

  it('lets an admin approve and block apps, and shows a viewer no decision buttons', async () => {
    const viewer = await open(keys.viewer, '/apps');
    await viewer.page.locator('tr[data-app-id="chatgpt"]').waitFor();
    expect(await viewer.page.getByRole('button', { name: /^(Approve|Block) / }).count()).toBe(0);
    await viewer.page.getByRole('link', { name: 'Findings', exact: true }).click();
    await viewer.page.locator('tr[data-finding-id]').first().waitFor();
    expect(await viewer.page.getByRole('region', { name: 'Bulk triage' }).count()).toBe(0);
    await viewer.page.getByRole('link', { name: 'Candidates' }).click();
    await viewer.page.locator('tr[data-host]').first().waitFor();
    expect(await viewer.page.getByRole('button', { name: /^(Confirm|Dismiss) / }).count()).toBe(0);
    expect(viewer.problems).toEqual([]);
    await viewer.context.close();

    const admin = await open(TEST_ADMIN_TOKEN, '/apps');
    const { page } = admin;
    await page.getByRole('button', { name: 'Block ChatGPT' }).click();
    await page.getByLabel('Reason (recorded in the audit log)').fill('data residency');
    await page.getByRole('button', { name: 'Confirm: blocked' }).click();
    await page.getByRole('status').filter({ hasText: 'is now blocked' }).waitFor();
    const blocked = (await getJson<{ status: string; decision: { reason: string } }>(`${service.url}/v1/apps/chatgpt/sanction`)).body;
    expect(blocked).toMatchObject({ status: 'blocked', decision: { reason: 'data residency' } });
    await page.locator('tr[data-app-id="chatgpt"] .badge', { hasText: /^blocked$/ }).waitFor();

    await page.getByRole('button', { name: 'Approve Claude' }).click();
    await page.getByLabel('Reason (recorded in the audit log)').fill('enterprise contract');
    await page.getByRole('button', { name: 'Confirm: sanctioned' }).click();
    await page.getByRole('status').filter({ hasText: 'is now sanctioned' }).waitFor();
    expect((await getJson<{ status: string }>(`${service.url}/v1/apps/claude/sanction`)).body.status).toBe('sanctioned');
    // Exact text: "unsanctioned" contains "sanctioned".
    await page.locator('tr[data-app-id="claude"] .badge', { hasText: /^sanctioned$/ }).waitFor();
    await shot(page, '09-apps-after-decisions');
    // The approve button of an already sanctioned app is disabled.
    expect(await page.getByRole('button', { name: 'Approve Claude' }).isDisabled()).toBe(true);
    expect(admin.problems).toEqual([]);
    await admin.context.close();
  });

  it('confirms a candidate into a custom app and dismisses another', async () => {
    const w = await open(TEST_ADMIN_TOKEN, '/candidates');
    const { page } = w;
    await page.getByRole('button', { name: 'Confirm llm.acme-internal.example as an AI app' }).click();
    await page.getByLabel('App name').fill('ACME LLM gateway');
    await page.getByLabel('Category').selectOption('llm-api');
    await page.getByRole('button', { name: 'Confirm as AI app' }).click();
    await page.getByRole('status').filter({ hasText: 'custom-llm-acme-internal-example' }).waitFor();
    const custom = (await getJson<{ items: { id: string; name: string; category: string; domains: { host: string }[] }[] }>(`${service.url}/v1/catalog/custom-apps`)).body.items;
    expect(custom).toEqual([expect.objectContaining({ id: 'custom-llm-acme-internal-example', name: 'ACME LLM gateway', category: 'llm-api', domains: [expect.objectContaining({ host: 'llm.acme-internal.example' })] })]);
    // Confirmed, it leaves the list of new candidates.
    await page.locator('tr[data-host="llm.acme-internal.example"]').waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Dismiss api.unlisted-vendor.example' }).click();
    await page.getByLabel('Note').fill('a translation API, not generative');
    await page.getByRole('button', { name: 'Dismiss: not AI' }).click();
    await page.getByRole('status').filter({ hasText: 'dismissed as not AI' }).waitFor();
    const dismissed = (await getJson<{ items: { host: string; status: string; note: string }[] }>(`${service.url}/v1/catalog/candidates?status=dismissed`)).body.items;
    expect(dismissed).toEqual([expect.objectContaining({ host: 'api.unlisted-vendor.example', status: 'dismissed', note: 'a translation API, not generative' })]);
    expect(w.problems).toEqual([]);
    await w.context.close();
  });

  it('lets an admin register, edit and remove an agent identity with the API\'s validation shown in the form, and shows a viewer no controls', async () => {
    const agents = async () => (await getJson<{ items: Agent[] }>(`${service.url}/v1/agents`)).body.items;
    const admin = await open(TEST_ADMIN_TOKEN, '/agents');
    const { page } = admin;
    await page.getByText('No agents registered yet').waitFor();
    const form = (name: string) => page.getByRole('form', { name });

    // Keyboard: the page's button opens the form and focus lands in its first field.
    await page.getByRole('button', { name: 'Register agent', exact: true }).focus();
    await page.keyboard.press('Enter');
    const register = form('Register an agent');
    await register.waitFor();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('identity');
    await page.keyboard.type('svc-etl');
    await page.getByLabel('Kind').selectOption('workload');
    await page.getByLabel('Sponsor').fill('ada');
    // Both refused by the API, not by the browser: a year the store cannot hold and an app id over 64 characters.
    await page.getByLabel('Expires (UTC)').fill('2400-01-01T00:00');
    await page.getByLabel('Allowed apps').fill(`openai-api, ${'x'.repeat(65)}`);
    await page.getByLabel('Description').fill('nightly ETL summariser');
    await page.keyboard.press('Enter');
    await register.getByRole('alert').filter({ hasText: 'allowedApps' }).waitFor();
    const allowed = page.getByLabel('Allowed apps');
    expect(await allowed.getAttribute('aria-invalid')).toBe('true');
    // The field's own message sits next to it and is read with it (aria-describedby).
    const allowedDescription = await allowed.evaluate((el) =>
      (el.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' | '),
    );
    expect(allowedDescription).toMatch(/item 2: .*64/);
    expect(await page.getByLabel('Expires (UTC)').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Identity').getAttribute('aria-invalid')).toBeNull();
    await shot(page, '10-agents-validation');
    expect(await agents()).toEqual([]);

    await page.getByLabel('Expires (UTC)').fill('2031-06-30T12:00');
    await allowed.fill('openai-api, anthropic-api');
    await register.getByRole('button', { name: 'Register', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'svc-etl registered' }).waitFor();
    await register.waitFor({ state: 'detached' });
    const [created] = await agents();
    expect(created).toMatchObject({ identity: 'svc-etl', kind: 'workload', sponsor: 'ada', expiresAt: '2031-06-30T12:00:00.000Z', allowedApps: ['openai-api', 'anthropic-api'], description: 'nightly ETL summariser' });
    const row = page.locator(`tr[data-agent-id="${created!.id}"]`);
    await row.getByRole('cell', { name: 'openai-api, anthropic-api' }).waitFor();

    // The same identity again: the API's conflict shows beside the identity and nothing is added.
    await page.getByRole('button', { name: 'Register agent', exact: true }).click();
    await page.getByLabel('Identity').fill('svc-etl');
    await register.getByRole('button', { name: 'Register', exact: true }).click();
    await register.getByRole('alert').filter({ hasText: 'already registered' }).waitFor();
    expect(await page.getByLabel('Identity').getAttribute('aria-invalid')).toBe('true');
    await page.keyboard.press('Escape');
    await register.waitFor({ state: 'detached' });
    expect(await agents()).toHaveLength(1);

    await row.getByRole('button', { name: 'Edit svc-etl' }).click();
    const edit = form('Edit agent svc-etl');
    await edit.waitFor();
    expect(await page.getByLabel('Identity').inputValue()).toBe('svc-etl');
    expect(await page.getByLabel('Expires (UTC)').inputValue()).toBe('2031-06-30T12:00');
    expect(await page.getByLabel('Allowed apps').inputValue()).toBe('openai-api, anthropic-api');
    await page.getByLabel('Sponsor').fill('bo');
    await page.getByLabel('Expires (UTC)').fill('');
    await page.getByLabel('Allowed apps').fill('openai-api mistral-api');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'svc-etl updated' }).waitFor();
    await edit.waitFor({ state: 'detached' });
    expect(await agents()).toEqual([expect.objectContaining({ id: created!.id, identity: 'svc-etl', kind: 'workload', sponsor: 'bo', expiresAt: null, allowedApps: ['openai-api', 'mistral-api'] })]);
    await row.getByRole('cell', { name: 'openai-api, mistral-api' }).waitFor();
    // Focus went back to the control that opened the form.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Edit svc-etl');
    await shot(page, '11-agents');

    // A viewer sees the registry but no way to change it.
    const viewer = await open(keys.viewer, '/agents');
    await viewer.page.locator(`tr[data-agent-id="${created!.id}"]`).waitFor();
    expect(await viewer.page.getByRole('button', { name: /^(Register agent|Edit |Remove )/ }).count()).toBe(0);
    expect(await viewer.page.getByRole('columnheader', { name: 'Manage' }).count()).toBe(0);
    expect(viewer.problems).toEqual([]);
    await viewer.context.close();

    // Remove, by keyboard: Escape backs out of the confirm step and changes nothing; confirming deletes.
    const removeButton = row.getByRole('button', { name: 'Remove svc-etl' });
    await removeButton.focus();
    await page.keyboard.press('Enter');
    const confirm = form('Remove agent svc-etl');
    await confirm.waitFor();
    // The destructive button is not the focused one.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    expect(await agents()).toHaveLength(1);
    await removeButton.focus();
    await page.keyboard.press('Enter');
    await confirm.waitFor();
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Confirm: remove');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'svc-etl removed' }).waitFor();
    await row.waitFor({ state: 'detached' });
    expect(await agents()).toEqual([]);
    await page.getByText('No agents registered yet').waitFor();

    // The only failures were the two the test provoked: the 400 and the 409 (each also logged by the browser).
    expect(admin.problems.filter((p) => !/\b(400|409)\b/.test(p))).toEqual([]);
    expect(admin.problems.filter((p) => p.startsWith('HTTP '))).toEqual([`HTTP 400: POST ${service.url}/v1/agents`, `HTTP 409: POST ${service.url}/v1/agents`]);
    await admin.context.close();
  });
});
