import { describe, expect, it } from 'vitest';
import { checkMonth, monthRange, previousMonth, severityBand, type MonthlyReport } from './monthly.report.ts';
import { csvCell, parseCsv, renderCsv } from './report.csv.ts';
import { escapeHtml, htmlCsp, renderHtml } from './report.html.ts';

const EVIL = '=HYPERLINK("http://x","y")<script>alert(1)</script>';

function sample(): MonthlyReport {
  const totals = { apps: 1, activeUsers: 1, events: 3, bytesOut: 2048, unsanctionedEvents: 3, unsanctionedShare: 1 };
  return {
    kind: 'shadow-ai-monthly-report',
    month: '2026-02',
    previousMonth: '2026-01',
    period: { from: '2026-02-01T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z' },
    generatedAt: '2026-03-01T00:00:00.000Z',
    sanctionsAsOf: '2026-02-28T23:59:59.999Z',
    catalogVersion: 'test',
    summary: { current: totals, previous: { ...totals, events: 0, unsanctionedEvents: 0, unsanctionedShare: 0 }, change: { apps: 0, activeUsers: 0, events: null, bytesOut: -0.5, unsanctionedEvents: null }, newApps: 1, findingsOpened: 1, findingsResolved: 0 },
    apps: [{ appId: 'custom-x', name: EVIL, vendor: null, category: 'chat-assistant', sanction: 'unsanctioned', risk: 5, users: 1, events: 3, blocked: 0, bytesOut: 2048, bytesIn: 0 }],
    newApps: [],
    unsanctionedTrend: { current: [{ day: '2026-02-01', events: 3, users: 1 }], previous: [] },
    topUnsanctionedUsers: [{ user: '+cmd|"a,b"', apps: ['custom-x'], events: 3, bytesOut: 2048 }, { user: '-1', apps: [], events: 1, bytesOut: 0 }],
    uploads: [],
    findings: { opened: 1, resolved: 0, stillOpen: 1, openedByType: [{ key: 'unsanctioned-app', count: 1 }], openedBySeverity: [], resolvedByType: [], resolvedBySeverity: [] },
    agents: { registered: 0, expired: 0, orphaned: 0, seen: 0, unregisteredSeen: 0, items: [] },
    notes: [],
  };
}

describe('months', () => {
  it('knows month bounds, leap years and year ends', () => {
    expect(monthRange('2028-02')).toEqual({ month: '2028-02', from: '2028-02-01', to: '2028-03-01', days: 29 });
    expect(monthRange('2026-12').to).toBe('2027-01-01');
    expect(previousMonth('2026-01')).toBe('2025-12');
  });

  it('refuses malformed and future months, accepts the current one', () => {
    const now = new Date('2026-11-26T12:00:00Z');
    expect(checkMonth('2026-11', now).ok).toBe(true);
    expect(checkMonth('2026-12', now)).toEqual({ ok: false, reason: 'month 2026-12 is in the future (now is 2026-11)' });
    for (const bad of ['2026-13', '2026-1', '26-01', '2026-00', '2026-01-01', '', '0000-01', '1969-12']) expect(checkMonth(bad, now).ok, bad).toBe(false);
    expect(checkMonth('1970-01', now).ok).toBe(true);
  });

  it('bands severities', () => {
    expect([0, 39, 40, 60, 80, 100].map(severityBand)).toEqual(['low (0-39)', 'low (0-39)', 'medium (40-59)', 'high (60-79)', 'critical (80-100)', 'critical (80-100)']);
  });
});

describe('csv', () => {
  it('quotes per RFC 4180 and defuses formula-like text, leaving numbers alone', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell(-0.5)).toBe('-0.5');
    expect(csvCell(null)).toBe('');
  });

  it('writes one table whose rows parse back to the report', () => {
    const text = renderCsv(sample());
    expect(text.split('\r\n').at(-1)).toBe('');
    const rows = parseCsv(text);
    expect(rows.every((r) => r.length === 5)).toBe(true);
    expect(rows).toContainEqual(['apps', 'custom-x', `'${EVIL}`, 'events', '3']);
    expect(rows).toContainEqual(['top-unsanctioned-users', `'+cmd|"a,b"`, '', 'events', '3']);
    expect(rows).toContainEqual(['summary', 'change', '', 'bytesOut', '-0.5']);
    expect(rows).toContainEqual(['summary', 'change', '', 'events', '']);
  });
});

describe('html', () => {
  it('escapes every user- and catalog-controlled string', () => {
    expect(escapeHtml(`<a href="x">'&`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;');
    const { html } = renderHtml(sample());
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // Chart labels travel as JSON inside a script element: no raw "<" that could close it.
    const island = /<script type="application\/json" id="chart-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(island).not.toContain('<');
    expect((JSON.parse(island) as { apps: { labels: string[] } }).apps.labels).toEqual([EVIL]);
  });

  it('inlines Chart.js and allows exactly its inline scripts and style by hash', () => {
    const { html, csp } = renderHtml(sample());
    expect(html).toContain('Chart.js v4.6.1');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(csp).toBe(htmlCsp(html));
    expect(csp.match(/'sha256-/g)).toHaveLength(3);
    expect(htmlCsp(html.replace('data-ready', 'data-ready '))).not.toBe(csp);
  });
});
