import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { squidLine } from '../support/log-lines.ts';
import { authFetch, CLI, eventually, getJson, REPO_ROOT, removeDir, startService, tempDir, type Service } from '../support/service.ts';

/**
 * Two months of traffic, stated here, go through the real service; the report's numbers must equal
 * what this file computes from that traffic (and what /v1/apps and /v1/findings say), in every format.
 */

const ARTIFACTS = join(REPO_ROOT, 'test/artifacts/report');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const UPLOAD_LOGFORMAT = 'logformat up %ts.%03tu %>a %un %rm %ru %>Hs %>st %<st';
const EVIL_USER = '=2+3<b>x</b>';

const pad = (n: number) => String(n).padStart(2, '0');
const monthStr = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;
const now = new Date();
const CURRENT = monthStr(now);
const M1 = monthStr(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)));
const M0 = monthStr(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 1)));
const NEXT = monthStr(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)));
const daysIn = (m: string) => new Date(Date.UTC(Number(m.slice(0, 4)), Number(m.slice(5, 7)), 0)).getUTCDate();
const at = (m: string, day: number, minute = 0) => new Date(`${m}-${pad(day)}T10:${pad(minute)}:00.000Z`);

interface Req {
  user: string;
  host: string;
  app: string;
  at: Date;
  bytesOut: number;
  blocked: boolean;
}

const APP_OF: Record<string, string> = { 'chatgpt.com': 'chatgpt', 'claude.ai': 'claude', 'chat.deepseek.com': 'deepseek', 'www.perplexity.ai': 'perplexity' };
const SANCTION: Record<string, string> = { chatgpt: 'unsanctioned', claude: 'sanctioned', deepseek: 'blocked', perplexity: 'unsanctioned' };
const UNSANCTIONED = new Set(['chatgpt', 'deepseek', 'perplexity']);

function reqs(user: string, host: string, month: string, days: number[], opts: { bytesOut?: number; blocked?: boolean } = {}): Req[] {
  return days.map((d, i) => ({ user, host, app: APP_OF[host]!, at: at(month, d, i), bytesOut: opts.bytesOut ?? 0, blocked: opts.blocked ?? false }));
}

/** Plain proxy lines (squid native: no upload size) … */
const PROXY: Req[] = [
  ...reqs('ada', 'chatgpt.com', M0, [5, 5, 6]),
  ...reqs('bo', 'chatgpt.com', M0, [6, 9]),
  ...reqs('ada', 'claude.ai', M0, [7]),
  ...reqs('ada', 'chatgpt.com', M1, [3, 3, 10, 20]),
  ...reqs('bo', 'chatgpt.com', M1, [4]),
  ...reqs('cy', 'chatgpt.com', M1, [12, 12]),
  ...reqs(EVIL_USER, 'chatgpt.com', M1, [13]),
  ...reqs('ada', 'claude.ai', M1, [5, 6, 7]),
  ...reqs('dee', 'claude.ai', M1, [15, 16]),
  ...reqs('bo', 'chat.deepseek.com', M1, [18]),
  ...reqs('bo', 'chat.deepseek.com', M1, [19], { blocked: true }),
  ...reqs('cy', 'www.perplexity.ai', M1, [25]),
  ...reqs('svc-build', 'chatgpt.com', M1, [8, 9]),
];
/** … and uploads through a squid logformat that records the request size. */
const UPLOADS: Req[] = [
  ...reqs('bo', 'chatgpt.com', M0, [8], { bytesOut: 1000 }),
  ...reqs('ada', 'chatgpt.com', M1, [11], { bytesOut: 5000 }),
  ...reqs('dee', 'claude.ai', M1, [16], { bytesOut: 7000 }),
];
const ALL = [...PROXY, ...UPLOADS];

/** What the report must say, computed from the traffic above and nothing else. */
function expectedFor(month: string) {
  const inMonth = ALL.filter((r) => monthStr(r.at) === month);
  const apps = new Map<string, { users: Set<string>; events: number; blocked: number; bytesOut: number }>();
  for (const r of inMonth) {
    const a = apps.get(r.app) ?? { users: new Set<string>(), events: 0, blocked: 0, bytesOut: 0 };
    a.users.add(r.user);
    a.events++;
    if (r.blocked) a.blocked++;
    a.bytesOut += r.bytesOut;
    apps.set(r.app, a);
  }
  const events = inMonth.length;
  const unsanctionedEvents = inMonth.filter((r) => UNSANCTIONED.has(r.app)).length;
  const trend = Array.from({ length: daysIn(month) }, (_, i) => {
    const day = `${month}-${pad(i + 1)}`;
    const rs = inMonth.filter((r) => UNSANCTIONED.has(r.app) && r.at.toISOString().startsWith(day));
    return { day, events: rs.length, users: new Set(rs.map((r) => r.user)).size };
  });
  const users = new Map<string, { apps: Set<string>; events: number; bytesOut: number }>();
  for (const r of inMonth.filter((x) => UNSANCTIONED.has(x.app))) {
    const u = users.get(r.user) ?? { apps: new Set<string>(), events: 0, bytesOut: 0 };
    u.apps.add(r.app);
    u.events++;
    u.bytesOut += r.bytesOut;
    users.set(r.user, u);
  }
  return {
    totals: {
      apps: apps.size,
      activeUsers: new Set(inMonth.map((r) => r.user)).size,
      events,
      bytesOut: inMonth.reduce((s, r) => s + r.bytesOut, 0),
      unsanctionedEvents,
      unsanctionedShare: events === 0 ? 0 : Math.round((unsanctionedEvents / events) * 10_000) / 10_000,
    },
    apps,
    trend,
    users,
    newApps: [...apps.keys()].filter((app) => !ALL.some((r) => r.app === app && monthStr(r.at) < month)).sort(),
  };
}

interface ReportJson {
  month: string;
  previousMonth: string;
  summary: {
    current: Record<string, number>;
    previous: Record<string, number>;
    change: Record<string, number | null>;
    newApps: number;
    findingsOpened: number;
    findingsResolved: number;
  };
  apps: { appId: string; sanction: string; risk: number | null; users: number; events: number; blocked: number; bytesOut: number }[];
  newApps: { appId: string; firstSeen: string }[];
  unsanctionedTrend: { current: { day: string; events: number; users: number }[]; previous: { day: string; events: number; users: number }[] };
  topUnsanctionedUsers: { user: string; apps: string[]; events: number; bytesOut: number }[];
  uploads: { appId: string; bytesOut: number }[];
  findings: { opened: number; resolved: number; stillOpen: number; openedByType: { key: string; count: number }[]; resolvedByType: { key: string; count: number }[] };
  agents: { registered: number; expired: number; orphaned: number; seen: number; unregisteredSeen: number; items: { identity: string; status: string; events: number }[] };
}

interface Finding {
  id: string;
  type: string;
  user: string;
  appId: string;
  severity: number;
  status: string;
  firstSeen: string;
  lastSeen: string;
}

const int = (n: number) => new Intl.NumberFormat('en-US').format(n);

describe('monthly Shadow AI report: seeded months, every format, stored and scheduled', () => {
  const dir = tempDir('report');
  let service: Service;
  let viewerKey = '';
  let findings: Finding[] = [];
  let resolvedId = '';
  const url = (path: string) => `${service.url}${path}`;
  const report = (month: string, format: string, key?: string) =>
    authFetch(url(`/v1/reports/monthly?month=${month}&format=${format}`), key ? { headers: { authorization: `Bearer ${key}` } } : {});

  beforeAll(async () => {
    rmSync(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    // Statuses that held through both months come from the sanctions file: a decision made through the API
    // today would not apply to them (see the last test).
    const sanctionsFile = join(dir, 'sanctions.json');
    writeFileSync(sanctionsFile, JSON.stringify({ default: 'unsanctioned', apps: { claude: 'sanctioned', deepseek: 'blocked' } }));
    service = await startService({
      dataDir: join(dir, 'data'),
      env: {
        DETECT_INTERVAL_MS: '200',
        INGEST_SQUID_LOGFORMAT: UPLOAD_LOGFORMAT,
        // The scheduler runs inside the service: last month's JSON, checked every half second.
        REPORT_ENABLED: 'true',
        REPORT_FORMATS: 'json',
        REPORT_SCHEDULE_DAY: '1',
        REPORT_CHECK_INTERVAL_MS: '500',
        SHADOW_AI_SANCTIONS_FILE: sanctionsFile,
      },
    });
    const post = (path: string, body: object) =>
      authFetch(url(path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (const agent of [
      { identity: 'svc-build', kind: 'service-account', sponsor: '' },
      { identity: 'sa-old', kind: 'service-account', sponsor: 'bo', expiresAt: '2026-01-01T00:00:00Z' },
      { identity: 'bot-ci', kind: 'workload', sponsor: 'ada' },
    ]) {
      expect((await post('/v1/agents', agent)).status).toBe(201);
    }
    const squid = PROXY.map((r) =>
      squidLine({ user: r.user, clientIp: '10.20.0.5', host: r.host, bytes: 2048, at: r.at, ...(r.blocked ? { result: 'TCP_DENIED', status: 403 } : {}) }),
    ).join('\n');
    const ingested = await authFetch(url('/v1/ingest/squid'), { method: 'POST', body: squid });
    expect(await ingested.json()).toMatchObject({ parsed: PROXY.length });
    const uploads = UPLOADS.map((r) => `${(r.at.getTime() / 1000).toFixed(3)} 10.20.0.6 ${r.user} POST https://${r.host}/upload 200 ${r.bytesOut} 300`).join('\n');
    const up = await authFetch(url('/v1/ingest/squid-custom'), { method: 'POST', body: uploads });
    expect(await up.json()).toMatchObject({ parsed: UPLOADS.length });

    // The detector works in the background: wait for the last pair's finding, then for a stable list.
    const listFindings = async () => {
      const out: Finding[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { items: Finding[]; nextCursor: string | null } } = await getJson(url(`/v1/findings?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`));
        out.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor);
      return out;
    };
    await eventually(async () => ((await listFindings()).some((f) => f.user === 'cy' && f.appId === 'perplexity' && f.type === 'unsanctioned-app') ? true : undefined), 60_000, 'findings');
    let previous = '';
    findings = await eventually(async () => {
      const list = await listFindings();
      const key = JSON.stringify(list.map((f) => [f.id, f.status]).sort());
      if (key === previous) return list;
      previous = key;
      await new Promise((r) => setTimeout(r, 600));
      return undefined;
    }, 60_000, 'stable findings');

    // One finding resolved (this month, by triage time), one acknowledged.
    const ada = findings.find((f) => f.user === 'ada' && f.appId === 'chatgpt' && f.type === 'unsanctioned-app')!;
    resolvedId = ada.id;
    const patch = (id: string, body: object) =>
      authFetch(url(`/v1/findings/${id}`), { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await patch(ada.id, { status: 'resolved', reason: 'moved to the sanctioned tenant' })).status).toBe(200);
    const cy = findings.find((f) => f.user === 'cy' && f.appId === 'chatgpt' && f.type === 'unsanctioned-app')!;
    expect((await patch(cy.id, { status: 'acknowledged' })).status).toBe(200);
    findings = findings.map((f) => (f.id === ada.id ? { ...f, status: 'resolved' } : f.id === cy.id ? { ...f, status: 'acknowledged' } : f));

    const key = await post('/v1/keys', { name: 'report-viewer', role: 'viewer' });
    viewerKey = ((await key.json()) as { key: string }).key;
  });

  afterAll(async () => {
    await service?.stop();
    removeDir(dir);
  });

  const inMonth = (iso: string, m: string) => iso.startsWith(m);

  it('json: every section equals what the seeded traffic, /v1/apps and /v1/findings say', async () => {
    const res = await report(M1, 'json', viewerKey);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const r = (await res.json()) as ReportJson;
    const exp = expectedFor(M1);
    const expPrev = expectedFor(M0);
    expect(r.month).toBe(M1);
    expect(r.previousMonth).toBe(M0);
    expect(r.summary.current).toEqual(exp.totals);
    expect(r.summary.previous).toEqual(expPrev.totals);
    expect(r.summary.change.events).toBeCloseTo((exp.totals.events - expPrev.totals.events) / expPrev.totals.events, 4);

    expect(r.apps.map((a) => [a.appId, a.sanction, a.users, a.events, a.blocked, a.bytesOut]).sort()).toEqual(
      [...exp.apps.entries()].map(([id, a]) => [id, SANCTION[id], a.users.size, a.events, a.blocked, a.bytesOut]).sort(),
    );
    // Most users first.
    expect(r.apps.map((a) => a.users)).toEqual([...r.apps.map((a) => a.users)].sort((x, y) => y - x));

    // The API's own app listing over the same days agrees (users, requests, uploads, sanction).
    const lastDay = `${M1}-${pad(daysIn(M1))}T00:00:00Z`;
    const api = (await getJson<{ items: { appId: string; users: number; requests: number; bytesOut: number; sanction: string }[] }>(
      url(`/v1/apps?since=${M1}-01T00:00:00Z&until=${lastDay}`),
    )).body.items;
    expect(r.apps.map((a) => [a.appId, a.users, a.events, a.bytesOut, a.sanction]).sort()).toEqual(
      api.map((a) => [a.appId, a.users, a.requests, a.bytesOut, a.sanction]).sort(),
    );

    expect(r.newApps.map((a) => a.appId).sort()).toEqual(exp.newApps);
    expect(r.newApps.map((a) => a.appId)).toContain('perplexity');
    expect(r.unsanctionedTrend.current).toEqual(exp.trend);
    expect(r.unsanctionedTrend.previous).toEqual(expPrev.trend);
    expect(r.topUnsanctionedUsers.map((u) => [u.user, u.apps, u.events, u.bytesOut]).sort()).toEqual(
      [...exp.users.entries()].map(([user, u]) => [user, [...u.apps].sort(), u.events, u.bytesOut]).sort(),
    );
    expect(r.uploads).toEqual(
      [...exp.apps.entries()]
        .filter(([, a]) => a.bytesOut > 0)
        .sort((x, y) => y[1].bytesOut - x[1].bytesOut)
        .map(([appId, a]) => ({ appId, name: expect.any(String), sanction: SANCTION[appId], users: a.users.size, bytesOut: a.bytesOut })),
    );

    const opened = findings.filter((f) => inMonth(f.firstSeen, M1));
    expect(opened.length).toBeGreaterThan(0);
    expect(r.findings.opened).toBe(opened.length);
    expect(r.summary.findingsOpened).toBe(opened.length);
    expect(r.findings.stillOpen).toBe(opened.filter((f) => f.status === 'open' || f.status === 'acknowledged').length);
    const byType = new Map<string, number>();
    for (const f of opened) byType.set(f.type, (byType.get(f.type) ?? 0) + 1);
    expect(Object.fromEntries(r.findings.openedByType.map((c) => [c.key, c.count]))).toEqual(Object.fromEntries(byType));
    // Resolved today, so not in last month's report.
    expect(r.findings.resolved).toBe(0);

    expect(r.agents).toMatchObject({
      registered: 3,
      expired: 1,
      orphaned: 1,
      seen: 1,
      unregisteredSeen: findings.filter((f) => f.type === 'unregistered-agent' && f.lastSeen >= `${M1}-01` && f.firstSeen < `${CURRENT}-01`).length,
    });
    expect(r.agents.items.find((a) => a.identity === 'svc-build')).toMatchObject({ status: 'orphaned', events: 2 });
    expect(r.agents.items.find((a) => a.identity === 'sa-old')).toMatchObject({ status: 'expired', events: 0 });
    writeFileSync(join(ARTIFACTS, `report-${M1}.json`), JSON.stringify(r, null, 2));
  });

  it("counts findings resolved in the month they were resolved (this month's partial report)", async () => {
    const r = (await (await report(CURRENT, 'json')).json()) as ReportJson;
    expect(r.findings.resolved).toBe(1);
    const resolved = findings.find((f) => f.id === resolvedId)!;
    expect(r.findings.resolvedByType).toEqual([{ key: resolved.type, count: 1 }]);
    expect(r.summary.current.events).toBe(0);
  });

  it('csv: one RFC 4180 file that parses back to the same numbers, formula-like text defused', async () => {
    const res = await report(M1, 'csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="shadow-ai-report-${M1}.csv"`);
    const text = await res.text();
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(text);
    expect(rows[0]).toEqual(['section', 'key', 'name', 'metric', 'value']);
    expect(rows.every((row) => row.length === 5)).toBe(true);
    const get = (section: string, key: string, metric: string) => rows.find((row) => row[0] === section && row[1] === key && row[3] === metric)?.[4];
    const exp = expectedFor(M1);
    for (const [metric, value] of Object.entries(exp.totals)) expect(get('summary', 'current', metric), metric).toBe(String(value));
    for (const [metric, value] of Object.entries(expectedFor(M0).totals)) expect(get('summary', 'previous', metric), metric).toBe(String(value));
    for (const [app, a] of exp.apps) {
      expect(get('apps', app, 'users')).toBe(String(a.users.size));
      expect(get('apps', app, 'events')).toBe(String(a.events));
      expect(get('apps', app, 'bytesOut')).toBe(String(a.bytesOut));
      expect(get('apps', app, 'sanction')).toBe(SANCTION[app]);
    }
    for (const d of exp.trend) expect(get(`unsanctioned-trend-current`, d.day, 'events')).toBe(String(d.events));
    expect(get('findings', 'all', 'opened')).toBe(String(findings.filter((f) => inMonth(f.firstSeen, M1)).length));
    // A user name that a spreadsheet would run as a formula is written as text.
    expect(get('top-unsanctioned-users', `'${EVIL_USER}`, 'events')).toBe('1');
    expect(rows.some((row) => row.some((c) => c.startsWith('=')))).toBe(false);
  });

  it('html: one self-contained file with charts, every number in tables, user text escaped, and a CSP that lets it run', async () => {
    const res = await report(M1, 'html');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/cdn/i);
    expect(html).toContain('Chart.js v4.6.1');
    expect(html.match(/<canvas id="chart-/g)!.length).toBeGreaterThanOrEqual(3);
    const exp = expectedFor(M1);
    const prev = expectedFor(M0);
    expect(html).toContain(`<td>Events</td><td class="n">${int(exp.totals.events)}</td><td class="n">${int(prev.totals.events)}</td>`);
    expect(html).toContain(`<td>Active users</td><td class="n">${int(exp.totals.activeUsers)}</td><td class="n">${int(prev.totals.activeUsers)}</td>`);
    expect(html).toContain(`<td>Bytes uploaded</td><td class="n">${int(exp.totals.bytesOut)}</td>`);
    expect(html).toContain(`${(exp.totals.unsanctionedShare * 100).toFixed(1)}%`);
    for (const [app, a] of exp.apps) expect(html).toMatch(new RegExp(`${app}</span></td>.*?<td class="n">${a.users.size}</td><td class="n">${a.events}</td>`));
    expect(html).not.toContain(EVIL_USER);
    expect(html).toContain('=2+3&lt;b&gt;x&lt;/b&gt;');
    writeFileSync(join(ARTIFACTS, `report-${M1}.html`), html);
  });

  it('html: a browser opening it from the API (with its CSP) draws every chart, with no console errors', async () => {
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
    try {
      const page = await (await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${viewerKey}` } })).newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      const res = await page.goto(url(`/v1/reports/monthly?month=${M1}&format=html`));
      expect(res!.status()).toBe(200);
      await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 30_000 });
      // A drawn chart has non-blank pixels.
      const drawn = await page.evaluate(() =>
        [...document.querySelectorAll('canvas')].map((c) => c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data.some((v) => v !== 0)),
      );
      expect(drawn.length).toBeGreaterThanOrEqual(3);
      expect(drawn.every(Boolean)).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('pdf: printed by Chromium, renders to page images, and carries the numbers', async () => {
    const res = await report(M1, 'pdf');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const pdf = Buffer.from(await res.arrayBuffer());
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const file = join(ARTIFACTS, `report-${M1}.pdf`);
    writeFileSync(file, pdf);
    const png = spawnSync('pdftoppm', ['-png', '-r', '70', file, join(ARTIFACTS, 'page')], { encoding: 'utf8' });
    expect(png.status, png.stderr).toBe(0);
    const pages = readdirSync(ARTIFACTS).filter((f) => /^page-\d+\.png$/.test(f));
    expect(pages.length).toBeGreaterThanOrEqual(1);
    for (const p of pages) expect(readFileSync(join(ARTIFACTS, p)).subarray(1, 4).toString('latin1')).toBe('PNG');
    const text = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(text.status, text.stderr).toBe(0);
    const exp = expectedFor(M1);
    expect(text.stdout).toContain(`Shadow AI report — ${M1}`);
    expect(text.stdout).toContain('Executive summary');
    expect(text.stdout).toMatch(new RegExp(`Events\\s+${int(exp.totals.events)}\\s+${int(expectedFor(M0).totals.events)}`));
    expect(text.stdout).toMatch(new RegExp(`Active users\\s+${int(exp.totals.activeUsers)}\\s+${int(expectedFor(M0).totals.activeUsers)}`));
    expect(text.stdout).toMatch(new RegExp(`Bytes uploaded\\s+${int(exp.totals.bytesOut)}\\s+${int(expectedFor(M0).totals.bytesOut)}`));
    expect(text.stdout).toContain(`${(exp.totals.unsanctionedShare * 100).toFixed(1)}%`);
  });

  it('refuses a malformed month, a future month and an unknown format; only an admin may store reports', async () => {
    const bad = await report('2026-13', 'json');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('YYYY-MM');
    const future = await report(NEXT, 'json');
    expect(future.status).toBe(400);
    expect(((await future.json()) as { message: string }).message).toContain('in the future');
    expect((await report(M1, 'docx')).status).toBe(400);
    expect((await authFetch(url(`/v1/reports/monthly?month=${M1}`), { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const viewerPost = await authFetch(url('/v1/reports/monthly'), {
      method: 'POST',
      headers: { authorization: `Bearer ${viewerKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ month: M1, formats: ['json'] }),
    });
    expect(viewerPost.status).toBe(403);
    expect((await authFetch(url('/v1/reports/0123456789abcdef0123'))).status).toBe(404);
    expect((await authFetch(url('/v1/reports/not-an-id'))).status).toBe(400);
    const futurePost = await authFetch(url('/v1/reports/monthly'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ month: NEXT }) });
    expect(futurePost.status).toBe(400);
  });

  it('stores reports on request, lists them and serves them back byte for byte', async () => {
    const res = await authFetch(url('/v1/reports/monthly'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ month: M1, formats: ['json', 'html', 'csv'] }),
    });
    expect(res.status).toBe(201);
    const { items } = (await res.json()) as { items: { id: string; format: string; sha256: string; size: number; generatedBy: string }[] };
    expect(items.map((i) => i.format)).toEqual(['json', 'html', 'csv']);
    expect(items.every((i) => i.generatedBy === 'admin-token')).toBe(true);
    const listed = (await getJson<{ items: { id: string; generatedBy: string }[] }>(url(`/v1/reports?month=${M1}`))).body.items;
    for (const i of items) expect(listed.map((l) => l.id)).toContain(i.id);
    const json = items.find((i) => i.format === 'json')!;
    const got = await authFetch(url(`/v1/reports/${json.id}`), { headers: { authorization: `Bearer ${viewerKey}` } });
    expect(got.status).toBe(200);
    const body = Buffer.from(await got.arrayBuffer());
    expect(body.length).toBe(json.size);
    expect(got.headers.get('x-report-sha256')).toBe(json.sha256);
    expect(((JSON.parse(body.toString('utf8')) as ReportJson).summary.current)).toEqual(expectedFor(M1).totals);
    const html = await authFetch(url(`/v1/reports/${items.find((i) => i.format === 'html')!.id}`));
    expect(html.headers.get('content-security-policy')).toMatch(/script-src 'sha256-/);
    const audit = (await getJson<{ items: { action: string; target: string }[] }>(url('/v1/audit?limit=50'))).body.items;
    expect(audit.some((a) => a.action === 'report.generate' && a.target === M1)).toBe(true);
  });

  it('the service scheduler stored last month\'s report exactly once', async () => {
    const scheduled = await eventually(async () => {
      const list = (await getJson<{ items: { month: string; format: string; generatedBy: string }[] }>(url('/v1/reports?format=json'))).body.items.filter(
        (i) => i.generatedBy === 'scheduler',
      );
      return list.length > 0 ? list : undefined;
    }, 30_000, 'a scheduled report');
    expect(scheduled).toEqual([expect.objectContaining({ month: M1, format: 'json', generatedBy: 'scheduler' })]);
  });

  it('shadow-ai report goes through the running service (admin socket) and prints the same CSV', async () => {
    const env = { ...process.env, SHADOW_AI_DATA_DIR: join(dir, 'data'), SHADOW_AI_SANCTIONS_FILE: '' };
    const r = spawnSync(process.execPath, [CLI, 'report', '--month', M1, '--format', 'csv'], { cwd: REPO_ROOT, encoding: 'utf8', env });
    expect(r.status, r.stderr).toBe(0);
    const api = await (await report(M1, 'csv')).text();
    const strip = (s: string) => s.split('\r\n').filter((l) => !l.includes(',generatedAt,')).join('\r\n');
    expect(strip(r.stdout)).toBe(strip(api));
    const pdfFile = join(ARTIFACTS, 'cli.pdf');
    const p = spawnSync(process.execPath, [CLI, 'report', '--month', M1, '--format', 'pdf', '--out', pdfFile], { cwd: REPO_ROOT, encoding: 'utf8', env });
    expect(p.status, p.stderr).toBe(0);
    expect(readFileSync(pdfFile).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('judges a past month by the sanctions in force at its end: a decision made today changes today, not that report', async () => {
    const before = (await (await report(M1, 'json')).json()) as ReportJson & { sanctionsAsOf: string };
    const monthEnd = new Date(Date.parse(`${M1}-01T00:00:00Z`));
    monthEnd.setUTCMonth(monthEnd.getUTCMonth() + 1);
    expect(before.sanctionsAsOf).toBe(new Date(monthEnd.getTime() - 1).toISOString());
    const put = await authFetch(url('/v1/apps/perplexity/sanction'), {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'sanctioned', reason: 'enterprise tenant from today' }),
    });
    expect(put.status).toBe(200);
    const after = (await (await report(M1, 'json')).json()) as ReportJson & { sanctionsAsOf: string };
    expect(after.apps.find((a) => a.appId === 'perplexity')!.sanction).toBe('unsanctioned');
    expect(after.summary).toEqual(before.summary);
    expect(after.topUnsanctionedUsers).toEqual(before.topUnsanctionedUsers);
    // Today's app listing has the new status.
    const { body } = await getJson<{ items: { appId: string; sanction: string }[] }>(url('/v1/apps'));
    expect(body.items.find((a) => a.appId === 'perplexity')?.sanction).toBe('sanctioned');
  });
});

/** RFC 4180, written here rather than imported so the product's own parser is not the oracle. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++;
    else field += c;
  }
  return rows;
}
