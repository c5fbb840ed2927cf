import { join } from 'node:path';
import type { Browser, Request, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { squidLine } from '../support/log-lines.ts';
import { authFetch, eventually, getJson, removeDir, startService, tempDir, TEST_ADMIN_TOKEN, type Service } from '../support/service.ts';
import { launchConsoleBrowser, openConsole, screenshot, type Watched } from './browser.ts';

/** Catalogued hosts and the app each one classifies as; every pair of user and app becomes one finding. */
const APPS: readonly { id: string; host: string }[] = [
  { id: 'chatgpt', host: 'chatgpt.com' },
  { id: 'claude', host: 'claude.ai' },
  { id: 'google-gemini', host: 'gemini.google.com' },
  { id: 'perplexity', host: 'www.perplexity.ai' },
  { id: 'mistral-le-chat', host: 'chat.mistral.ai' },
];
const USERS = 2_100;
const FINDINGS = USERS * APPS.length;
/** What the issue allows a console request to ask for at once. */
const MAX_LIMIT = 100;
/** A page of 50 findings is tens of KiB; all of them would be megabytes. */
const MAX_BODY_BYTES = 256 * 1024;
const INGEST_BATCH = 5_000;

interface Finding {
  id: string;
  user: string;
  appId: string;
  status: string;
}
interface FindingPage {
  items: Finding[];
  nextCursor: string | null;
  total?: number;
}
interface Overview {
  apps: number;
  users: number;
  findings: { byStatus: Record<'open' | 'acknowledged' | 'resolved' | 'suppressed', number>; highSeverityOpen: number };
}

/** What the console asked the API for while a test used it, and how big each answer was. */
interface ApiCall {
  url: URL;
  status: number;
  bytes: number;
  items: number | null;
}

describe(`web console with ${USERS.toLocaleString('en')} users × ${APPS.length} unsanctioned apps (${FINDINGS.toLocaleString('en')}+ open findings)`, () => {
  const dir = tempDir('console-scale');
  let service: Service;
  let browser: Browser;
  let openFindings = 0;

  beforeAll(async () => {
    browser = await launchConsoleBrowser();
    service = await startService({ dataDir: join(dir, 'data'), env: { DETECT_INTERVAL_MS: '200' } });
    // The ids the findings will carry must be catalogued, or the hosts would not classify and the count would fall short.
    for (const app of APPS) expect((await authFetch(`${service.url}/v1/catalog/apps/${app.id}`)).status, app.id).toBe(200);

    // One request per user and app, spread over the last hour so pages sort by distinct times.
    const start = Date.now() - 3_600_000;
    const lines: string[] = [];
    for (let u = 0; u < USERS; u++) {
      const user = `user-${String(u).padStart(4, '0')}`;
      APPS.forEach((app, i) => lines.push(squidLine({ user, clientIp: `10.${40 + i}.${u >> 8}.${u & 255}`, host: app.host, bytes: 400 + u, at: new Date(start + u * 1_000 + i) })));
    }
    // Through the product's HTTP ingest, in a few large batches rather than one request per line.
    for (let i = 0; i < lines.length; i += INGEST_BATCH) {
      const res = await authFetch(`${service.url}/v1/ingest/squid`, { method: 'POST', body: lines.slice(i, i + INGEST_BATCH).join('\n') });
      const body = await res.text();
      expect(res.status, body).toBe(200);
      expect((JSON.parse(body) as { stored: number; rejected: number }).rejected).toBe(0);
    }
    // Detection also adds a few organisation-wide findings (a usage spike per app): wait until the count
    // has reached every user's findings and then holds still, so the page and the API see the same numbers.
    let last = -1;
    openFindings = await eventually(async () => {
      const open = (await getJson<Overview>(`${service.url}/v1/overview?days=7`)).body.findings.byStatus.open;
      const stable = open >= FINDINGS && open === last;
      last = open;
      return stable ? open : undefined;
    }, 90_000, `${FINDINGS} open findings from detection`);
  });

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    removeDir(dir);
  });

  /**
   * Records every API call of the page with the size of its answer and, for lists, the number of items.
   * `settled()` waits for the bodies still being read; call it before navigating away, which discards them.
   */
  function recordApiCalls(w: Watched): { calls: ApiCall[]; settled: () => Promise<unknown> } {
    const calls: ApiCall[] = [];
    const reading: Promise<void>[] = [];
    w.page.on('response', (r: Response) => {
      const url = new URL(r.url());
      if (!url.pathname.startsWith('/v1/')) return;
      const read = async () => {
        const buf = await r.body();
        let items: number | null = null;
        try {
          const parsed = JSON.parse(buf.toString('utf8')) as { items?: unknown };
          if (Array.isArray(parsed.items)) items = parsed.items.length;
        } catch {
          items = null;
        }
        calls.push({ url, status: r.status(), bytes: buf.length, items });
      };
      reading.push(read().catch((e: unknown) => void w.problems.push(`response body of ${r.url()} unreadable: ${String(e)}`)));
    });
    return { calls, settled: () => Promise.all(reading) };
  }

  function expectOnlyPagedFindingRequests(requests: URL[]): void {
    expect(requests.length).toBeGreaterThan(0);
    for (const url of requests) {
      const limit = url.searchParams.get('limit');
      expect(limit, `${url.pathname}${url.search} names a limit`).not.toBeNull();
      expect(Number(limit), `${url.pathname}${url.search}`).toBeGreaterThanOrEqual(1);
      expect(Number(limit), `${url.pathname}${url.search}`).toBeLessThanOrEqual(MAX_LIMIT);
    }
  }

  function expectNoFullTableAnswer(calls: ApiCall[]): void {
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) {
      expect(c.status, `${c.url.pathname}${c.url.search}`).toBe(200);
      expect(c.bytes, `${c.url.pathname}${c.url.search} answered ${c.bytes} bytes`).toBeLessThanOrEqual(MAX_BODY_BYTES);
      if (c.items !== null) expect(c.items, `${c.url.pathname}${c.url.search}`).toBeLessThanOrEqual(MAX_LIMIT);
    }
  }

  it('shows one page of 50 findings with a next-page control, asks only for pages, and pages through different findings', async () => {
    const w = await openConsole(browser, service.url, TEST_ADMIN_TOKEN, '/');
    const { page } = w;
    // Let the overview finish loading first: navigating away would abort its requests.
    await page.getByRole('region', { name: 'Newest open findings' }).getByRole('link').first().waitFor();
    await page.locator('.stat', { hasText: 'Open findings' }).waitFor();
    const findingRequests: URL[] = [];
    page.on('request', (r: Request) => {
      const url = new URL(r.url());
      if (url.pathname === '/v1/findings') findingRequests.push(url);
    });
    const { calls, settled } = recordApiCalls(w);
    const rows = page.locator('tr[data-finding-id]');
    const ids = () => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-finding-id')!));

    // A full load of the page (shell, sign-in check, list) up to the table on screen: for information, not asserted.
    const t0 = performance.now();
    await page.goto(`${service.url}/findings`);
    await rows.first().waitFor();
    const loadMs = performance.now() - t0;
    console.log(`findings page at ${openFindings} open findings: table visible ${Math.round(loadMs)} ms after navigation (information only)`);

    expect(await rows.count()).toBe(50);
    // The API counts the matches with the first page (and only then); the page shows that count.
    const apiFirst = (await getJson<FindingPage>(`${service.url}/v1/findings?sort=last_seen&limit=50`)).body;
    expect(apiFirst.total).toBe(openFindings);
    const of = (n: number) => n.toLocaleString('en-US');
    const pager = page.getByRole('navigation', { name: 'Findings pages' });
    await pager.getByText(`Page 1 · rows 1–50 of ${of(openFindings)}`).waitFor();
    expect(await pager.getByRole('button', { name: 'Next →' }).isEnabled()).toBe(true);
    expect(await pager.getByRole('button', { name: '← Previous' }).isDisabled()).toBe(true);
    const first = await ids();
    // The same page the API gives for the same question.
    expect(first).toEqual(apiFirst.items.map((f) => f.id));
    await screenshot(page, 'scale-01-findings');

    const t1 = performance.now();
    await pager.getByRole('button', { name: 'Next →' }).click();
    await pager.getByText(`Page 2 · rows 51–100 of ${of(openFindings)}`).waitFor();
    await expect.poll(async () => (await ids())[0]).not.toBe(first[0]);
    console.log(`findings page 2: ${Math.round(performance.now() - t1)} ms from click to new rows (information only)`);
    const second = await ids();
    expect(second).toHaveLength(50);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
    const apiSecond = (await getJson<FindingPage>(`${service.url}/v1/findings?sort=last_seen&limit=50&cursor=${encodeURIComponent(apiFirst.nextCursor!)}`)).body;
    expect(second).toEqual(apiSecond.items.map((f) => f.id));
    expect(apiSecond.total).toBeUndefined();
    expect(findingRequests.some((u) => u.searchParams.get('cursor') === apiFirst.nextCursor)).toBe(true);

    await pager.getByRole('button', { name: '← Previous' }).click();
    await pager.getByText('Page 1 · rows 1–50').waitFor();
    await expect.poll(ids).toEqual(first);

    // A filter narrows the query on the server; the page is still one page of 50.
    await settled();
    await page.goto(`${service.url}/findings?app=claude&status=open`);
    const claudeTotal = (await getJson<FindingPage>(`${service.url}/v1/findings?app=claude&status=open&limit=1`)).body.total!;
    expect(claudeTotal).toBeGreaterThanOrEqual(FINDINGS / 5);
    await pager.getByText(`Page 1 · rows 1–50 of ${of(claudeTotal)}`).waitFor();
    expect(await rows.count()).toBe(50);
    const claudeRequest = findingRequests.at(-1)!;
    expect(claudeRequest.searchParams.get('app')).toBe('claude');
    expect(claudeRequest.searchParams.get('status')).toBe('open');

    await settled();
    expectOnlyPagedFindingRequests(findingRequests);
    expectNoFullTableAnswer(calls);
    const largest = calls.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    console.log(`largest API answer on the findings page: ${largest.bytes} bytes (${largest.url.pathname}${largest.url.search})`);
    expect(w.problems).toEqual([]);
    await w.context.close();
  });

  it('shows the overview with the numbers the API gives, loading only the newest findings', async () => {
    const w = await openConsole(browser, service.url, TEST_ADMIN_TOKEN, '/findings');
    const { page } = w;
    await page.locator('tr[data-finding-id]').first().waitFor();
    const findingRequests: URL[] = [];
    page.on('request', (r: Request) => {
      const url = new URL(r.url());
      if (url.pathname === '/v1/findings') findingRequests.push(url);
    });
    const { calls, settled } = recordApiCalls(w);

    const t0 = performance.now();
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    const stat = (label: string) => page.locator('.stat', { hasText: label }).locator('.stat-value');
    await stat('Open findings').waitFor();
    console.log(`overview at ${openFindings} open findings: figures visible ${Math.round(performance.now() - t0)} ms after the click (information only)`);

    // The console asks for a 30-day window by default.
    const o = (await getJson<Overview>(`${service.url}/v1/overview?days=30`)).body;
    expect(o).toMatchObject({ apps: APPS.length, users: USERS });
    expect(o.findings.byStatus.open).toBeGreaterThanOrEqual(FINDINGS);
    const fmt = (n: number) => n.toLocaleString('en');
    expect(await stat('Open findings').textContent()).toBe(fmt(o.findings.byStatus.open));
    expect(await stat('Active users').textContent()).toBe(fmt(o.users));
    expect(await stat('AI apps discovered').textContent()).toBe(fmt(o.apps));
    const newest = page.getByRole('region', { name: 'Newest open findings' });
    await newest.getByRole('link').first().waitFor();
    expect(await newest.locator('tbody tr').count()).toBe(8);
    await screenshot(page, 'scale-02-overview');

    await settled();
    expectOnlyPagedFindingRequests(findingRequests);
    expectNoFullTableAnswer(calls);
    expect(calls.map((c) => c.url.pathname)).toContain('/v1/overview');
    expect(w.problems).toEqual([]);
    await w.context.close();
  });
});
