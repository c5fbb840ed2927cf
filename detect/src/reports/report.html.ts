import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { CountBy, MonthlyReport } from './monthly.report.ts';

let chartJs: string | null = null;

/**
 * Chart.js's UMD bundle from node_modules, inlined so the report is one file that opens offline and
 * never fetches a CDN. The package's export map does not list the UMD file, so it is found next to the
 * resolved main entry.
 */
function chartJsSource(): string {
  if (chartJs === null) {
    const main = createRequire(import.meta.url).resolve('chart.js');
    const src = readFileSync(join(dirname(main), 'chart.umd.js'), 'utf8');
    // The source map is not shipped with the report; an inline script must not close its own tag.
    chartJs = src.replace(/\n\/\/# sourceMappingURL=.*$/m, '').replace(/<\/script/gi, '<\\/script');
  }
  return chartJs;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Every user- or catalog-controlled string goes through this before it reaches the markup. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
export const formatInt = (v: number) => int.format(v);

export function formatBytesHuman(v: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = v;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${x.toFixed(1)} ${units[i]}`;
}

export const formatPercent = (share: number) => `${(share * 100).toFixed(1)}%`;

function formatChange(c: number | null): string {
  if (c === null) return 'n/a';
  return `${c >= 0 ? '+' : '−'}${Math.abs(c * 100).toFixed(1)}%`;
}

const SANCTION_CLASS: Record<string, string> = { sanctioned: 'ok', monitored: 'mon', unsanctioned: 'warn', blocked: 'bad' };

const STYLE = `
*{box-sizing:border-box}
body{font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1d2433;margin:0;padding:28px 36px;background:#fff}
header{border-bottom:3px solid #2f5bd3;padding-bottom:10px;margin-bottom:18px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:16px;margin:26px 0 8px;color:#2f5bd3;break-after:avoid}
.muted{color:#5c6475}
.kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:10px}
.kpi{border:1px solid #d9deea;border-radius:6px;padding:10px 12px;background:#f6f8fc}
.kpi .v{font-size:20px;font-weight:600}
.kpi .c{font-size:11px;color:#5c6475}
table{border-collapse:collapse;width:100%;margin:6px 0 4px;font-size:12px;break-inside:auto}
tr{break-inside:avoid}
th,td{border-bottom:1px solid #e3e7f0;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eef2fa;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.tag{display:inline-block;border-radius:3px;padding:0 5px;font-size:11px;font-weight:600}
.tag.ok{background:#dff3e4;color:#17692f}.tag.mon{background:#e6ecfb;color:#2f4c9a}.tag.warn{background:#fff1d6;color:#8a5a00}.tag.bad{background:#fde2e1;color:#a3211b}
.chart{margin:6px 0 4px;break-inside:avoid}
.chart canvas{width:100%;max-width:720px;height:auto}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:18px}
.grid2>div{break-inside:avoid}
h3{font-size:13px;margin:10px 0 2px}
.empty{color:#5c6475;font-style:italic}
footer{margin-top:28px;font-size:11px;color:#5c6475;border-top:1px solid #d9deea;padding-top:8px}
@page{size:A4;margin:14mm 12mm}
@media print{body{padding:0}h2{break-after:avoid}.chart{break-inside:avoid}}
`;

type Col<T> = { head: string; cell: (row: T) => string; num?: boolean };

function table<T>(rows: T[], cols: Col<T>[], empty = 'None this month.'): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const head = cols.map((c) => `<th${c.num ? ' class="n"' : ''}>${escapeHtml(c.head)}</th>`).join('');
  const body = rows.map((r) => `<tr>${cols.map((c) => `<td${c.num ? ' class="n"' : ''}>${c.cell(r)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const tag = (sanction: string) => `<span class="tag ${SANCTION_CLASS[sanction] ?? ''}">${escapeHtml(sanction)}</span>`;
const bytesCell = (v: number) => `${formatInt(v)}${v >= 1024 ? ` <span class="muted">(${formatBytesHuman(v)})</span>` : ''}`;

function countTable(title: string, rows: CountBy[]): string {
  return table(rows, [
    { head: title, cell: (r) => escapeHtml(r.key) },
    { head: 'Findings', cell: (r) => formatInt(r.count), num: true },
  ]);
}

/** Days with unsanctioned use in either month, plus totals: the chart's numbers without 31 rows of zeros. */
function trendTable(r: MonthlyReport): string {
  const cur = r.unsanctionedTrend.current;
  const prev = r.unsanctionedTrend.previous;
  const days = Array.from({ length: Math.max(cur.length, prev.length) }, (_, i) => i).filter((i) => (cur[i]?.events ?? 0) > 0 || (prev[i]?.events ?? 0) > 0);
  const sum = (xs: { events: number }[]) => xs.reduce((s, x) => s + x.events, 0);
  const cell = (p: { events: number; users: number } | undefined, k: 'events' | 'users') => (p ? formatInt(p[k]) : '');
  const rows: { label: string; c: string; cu: string; p: string; pu: string }[] = [
    ...days.map((i) => ({ label: String(i + 1), c: cell(cur[i], 'events'), cu: cell(cur[i], 'users'), p: cell(prev[i], 'events'), pu: cell(prev[i], 'users') })),
    { label: 'Total', c: formatInt(sum(cur)), cu: '', p: formatInt(sum(prev)), pu: '' },
  ];
  return `<p class="muted">Days with unsanctioned use in either month; other days had none.</p>` + table(rows, [
    { head: 'Day', cell: (x) => x.label, num: true },
    { head: `${r.month} events`, cell: (x) => x.c, num: true },
    { head: `${r.month} users`, cell: (x) => x.cu, num: true },
    { head: `${r.previousMonth} events`, cell: (x) => x.p, num: true },
    { head: `${r.previousMonth} users`, cell: (x) => x.pu, num: true },
  ]);
}

export interface RenderedHtml {
  html: string;
  /** Content-Security-Policy that lets exactly this document's inline script and style run */
  csp: string;
}

/**
 * One self-contained HTML file: inline CSS, Chart.js inlined, the chart data as a JSON island. Every
 * number in a chart is also in a table (print, screen readers, copy-paste). `body[data-ready]` is set
 * once every chart is drawn, which the PDF printer waits for.
 */
export function renderHtml(r: MonthlyReport): RenderedHtml {
  const s = r.summary;
  const kpi = (label: string, value: string, sub: string) =>
    `<div class="kpi"><div class="muted">${escapeHtml(label)}</div><div class="v">${value}</div><div class="c">${sub}</div></div>`;
  const prevLabel = escapeHtml(r.previousMonth);
  const top = (n: number) => r.apps.slice(0, n);
  const chartData = {
    trend: {
      labels: Array.from({ length: Math.max(r.unsanctionedTrend.current.length, r.unsanctionedTrend.previous.length) }, (_, i) => String(i + 1)),
      current: r.unsanctionedTrend.current.map((d) => d.events),
      previous: r.unsanctionedTrend.previous.map((d) => d.events),
      currentLabel: r.month,
      previousLabel: r.previousMonth,
    },
    apps: { labels: top(12).map((a) => a.name), users: top(12).map((a) => a.users), events: top(12).map((a) => a.events) },
    uploads: { labels: r.uploads.slice(0, 12).map((u) => u.name), bytes: r.uploads.slice(0, 12).map((u) => u.bytesOut) },
    findings: { labels: r.findings.openedByType.map((c) => c.key), counts: r.findings.openedByType.map((c) => c.count) },
  };
  // JSON in a script element: `<` escaped so no string can end the element early.
  const dataJson = JSON.stringify(chartData).replace(/</g, '\\u003c');
  const drawScript = `(function(){
var d=JSON.parse(document.getElementById('chart-data').textContent);
Chart.defaults.animation=false;Chart.defaults.responsive=false;Chart.defaults.devicePixelRatio=2;
Chart.defaults.font.family='system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif';
function bar(id,labels,sets,horizontal){var el=document.getElementById(id);if(!el)return;new Chart(el,{type:'bar',data:{labels:labels,datasets:sets},options:{indexAxis:horizontal?'y':'x',plugins:{legend:{display:sets.length>1}},scales:{x:{beginAtZero:true,ticks:{precision:0}},y:{beginAtZero:true,ticks:{precision:0}}}}});}
var t=document.getElementById('chart-trend');
if(t)new Chart(t,{type:'line',data:{labels:d.trend.labels,datasets:[{label:d.trend.currentLabel,data:d.trend.current,borderColor:'#c0392b',backgroundColor:'rgba(192,57,43,.15)',fill:true,tension:0,pointRadius:2},{label:d.trend.previousLabel,data:d.trend.previous,borderColor:'#7f8ca3',borderDash:[5,4],pointRadius:0,tension:0}]},options:{plugins:{legend:{position:'bottom'}},scales:{x:{title:{display:true,text:'day of month'}},y:{beginAtZero:true,ticks:{precision:0},title:{display:true,text:'unsanctioned events'}}}}});
bar('chart-apps',d.apps.labels,[{label:'users',data:d.apps.users,backgroundColor:'#2f5bd3'}],true);
bar('chart-uploads',d.uploads.labels,[{label:'bytes uploaded',data:d.uploads.bytes,backgroundColor:'#d68910'}],true);
bar('chart-findings',d.findings.labels,[{label:'findings opened',data:d.findings.counts,backgroundColor:'#8e44ad'}],true);
document.body.setAttribute('data-ready','1');
})();`;
  const chartJsCode = chartJsSource();
  const canvas = (id: string, h: number, show: boolean) => (show ? `<div class="chart"><canvas id="${id}" width="720" height="${h}" role="img" aria-label="chart; the numbers are in the table below"></canvas></div>` : '');

  const body = `
<header>
  <h1>Shadow AI report — ${escapeHtml(r.month)}</h1>
  <div class="muted">Period ${escapeHtml(r.period.from.slice(0, 10))} to ${escapeHtml(r.period.to.slice(0, 10))} (UTC, end exclusive) · compared with ${prevLabel} · generated ${escapeHtml(r.generatedAt)} · sanction status as of ${escapeHtml(r.sanctionsAsOf)} · catalog ${escapeHtml(r.catalogVersion)}</div>
</header>

<section id="summary">
<h2>Executive summary</h2>
<div class="kpis">
${kpi('AI apps seen', formatInt(s.current.apps), `${formatChange(s.change.apps)} vs ${prevLabel} (${formatInt(s.previous.apps)})`)}
${kpi('Active users', formatInt(s.current.activeUsers), `${formatChange(s.change.activeUsers)} vs ${prevLabel} (${formatInt(s.previous.activeUsers)})`)}
${kpi('Events', formatInt(s.current.events), `${formatChange(s.change.events)} vs ${prevLabel} (${formatInt(s.previous.events)})`)}
${kpi('Uploaded to AI apps', formatBytesHuman(s.current.bytesOut), `${formatChange(s.change.bytesOut)} vs ${prevLabel}`)}
${kpi('Unsanctioned share', formatPercent(s.current.unsanctionedShare), `${formatInt(s.current.unsanctionedEvents)} events; ${prevLabel}: ${formatPercent(s.previous.unsanctionedShare)}`)}
${kpi('New AI apps', formatInt(s.newApps), 'first seen in the organisation this month')}
${kpi('Findings opened', formatInt(s.findingsOpened), `${formatInt(r.findings.stillOpen)} still open`)}
${kpi('Findings resolved', formatInt(s.findingsResolved), 'during the month')}
</div>
${table(
  [
    ['AI apps seen', s.current.apps, s.previous.apps, s.change.apps],
    ['Active users', s.current.activeUsers, s.previous.activeUsers, s.change.activeUsers],
    ['Events', s.current.events, s.previous.events, s.change.events],
    ['Bytes uploaded', s.current.bytesOut, s.previous.bytesOut, s.change.bytesOut],
    ['Unsanctioned events', s.current.unsanctionedEvents, s.previous.unsanctionedEvents, s.change.unsanctionedEvents],
  ] as [string, number, number, number | null][],
  [
    { head: 'Measure', cell: (x) => escapeHtml(x[0]) },
    { head: r.month, cell: (x) => formatInt(x[1]), num: true },
    { head: r.previousMonth, cell: (x) => formatInt(x[2]), num: true },
    { head: 'Change', cell: (x) => formatChange(x[3]), num: true },
  ],
)}
</section>

<section id="apps">
<h2>AI apps by users and volume</h2>
${canvas('chart-apps', Math.max(140, Math.min(12, r.apps.length) * 26 + 50), r.apps.length > 0)}
${table(r.apps, [
  { head: 'App', cell: (a) => `${escapeHtml(a.name)} <span class="muted">${escapeHtml(a.appId)}</span>` },
  { head: 'Category', cell: (a) => escapeHtml(a.category ?? '') },
  { head: 'Sanction', cell: (a) => tag(a.sanction) },
  { head: 'Risk', cell: (a) => (a.risk === null ? '' : a.risk.toFixed(1)), num: true },
  { head: 'Users', cell: (a) => formatInt(a.users), num: true },
  { head: 'Events', cell: (a) => formatInt(a.events), num: true },
  { head: 'Blocked', cell: (a) => formatInt(a.blocked), num: true },
  { head: 'Bytes out', cell: (a) => bytesCell(a.bytesOut), num: true },
], 'No AI app use recorded this month.')}
</section>

<section id="new-apps">
<h2>New AI apps this month</h2>
${table(r.newApps, [
  { head: 'App', cell: (a) => `${escapeHtml(a.name)} <span class="muted">${escapeHtml(a.appId)}</span>` },
  { head: 'First seen', cell: (a) => escapeHtml(a.firstSeen) },
  { head: 'Sanction', cell: (a) => tag(a.sanction) },
  { head: 'Risk', cell: (a) => (a.risk === null ? '' : a.risk.toFixed(1)), num: true },
  { head: 'Users', cell: (a) => formatInt(a.users), num: true },
  { head: 'Events', cell: (a) => formatInt(a.events), num: true },
], 'No app was used for the first time this month.')}
</section>

<section id="trend">
<h2>Unsanctioned use: ${escapeHtml(r.month)} against ${prevLabel}</h2>
${canvas('chart-trend', 260, true)}
${trendTable(r)}
</section>

<section id="top-users">
<h2>Top users of unsanctioned apps</h2>
${table(r.topUnsanctionedUsers, [
  { head: 'User', cell: (u) => escapeHtml(u.user) },
  { head: 'Apps', cell: (u) => escapeHtml(u.apps.join(', ')) },
  { head: 'Events', cell: (u) => formatInt(u.events), num: true },
  { head: 'Bytes out', cell: (u) => bytesCell(u.bytesOut), num: true },
], 'Nobody used an unsanctioned app this month.')}
</section>

<section id="uploads">
<h2>Data uploaded to AI apps</h2>
${canvas('chart-uploads', Math.max(140, Math.min(12, r.uploads.length) * 26 + 50), r.uploads.length > 0)}
${table(r.uploads, [
  { head: 'App', cell: (u) => `${escapeHtml(u.name)} <span class="muted">${escapeHtml(u.appId)}</span>` },
  { head: 'Sanction', cell: (u) => tag(u.sanction) },
  { head: 'Users', cell: (u) => formatInt(u.users), num: true },
  { head: 'Bytes out', cell: (u) => bytesCell(u.bytesOut), num: true },
], 'No uploads recorded this month.')}
</section>

<section id="findings">
<h2>Findings opened and resolved</h2>
<p>${formatInt(r.findings.opened)} opened (first seen this month), ${formatInt(r.findings.stillOpen)} of them still open or acknowledged; ${formatInt(r.findings.resolved)} resolved during the month.</p>
${canvas('chart-findings', Math.max(120, r.findings.openedByType.length * 26 + 50), r.findings.openedByType.length > 0)}
<div class="grid2">
<div><h3>Opened by type</h3>${countTable('Type', r.findings.openedByType)}</div>
<div><h3>Opened by severity</h3>${countTable('Severity', r.findings.openedBySeverity)}</div>
<div><h3>Resolved by type</h3>${countTable('Type', r.findings.resolvedByType)}</div>
<div><h3>Resolved by severity</h3>${countTable('Severity', r.findings.resolvedBySeverity)}</div>
</div>
</section>

<section id="agents">
<h2>Agent identities</h2>
${table(
  [
    ['Registered', r.agents.registered],
    ['Expired (registration ended before the month closed)', r.agents.expired],
    ['Orphaned (no sponsor)', r.agents.orphaned],
    ['Registered agents with AI traffic this month', r.agents.seen],
    ['Unregistered agents seen (findings)', r.agents.unregisteredSeen],
  ] as [string, number][],
  [
    { head: 'Agents', cell: (x) => escapeHtml(x[0]) },
    { head: 'Count', cell: (x) => formatInt(x[1]), num: true },
  ],
)}
${table(r.agents.items, [
  { head: 'Identity', cell: (a) => escapeHtml(a.identity) },
  { head: 'Kind', cell: (a) => escapeHtml(a.kind) },
  { head: 'Sponsor', cell: (a) => escapeHtml(a.sponsor || '—') },
  { head: 'Status', cell: (a) => escapeHtml(a.status) },
  { head: 'Expires', cell: (a) => escapeHtml(a.expiresAt ?? 'never') },
  { head: 'Events', cell: (a) => formatInt(a.events), num: true },
  { head: 'Apps', cell: (a) => escapeHtml(a.apps.join(', ')) },
], 'No agent is registered.')}
</section>

<footer>${r.notes.map(escapeHtml).join('<br>')}</footer>
`;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shadow AI report ${escapeHtml(r.month)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
<script type="application/json" id="chart-data">${dataJson}</script>
<script>${chartJsCode}</script>
<script>${drawScript}</script>
</body>
</html>
`;
  return { html, csp: htmlCsp(html) };
}

/**
 * The Content-Security-Policy for a report document: its own inline scripts and style, by hash, and
 * nothing else (no network, no other script). Works on stored reports too, since it reads the document.
 */
export function htmlCsp(html: string): string {
  const hashes = (re: RegExp) =>
    [...html.matchAll(re)].map((m) => `'sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`).join(' ');
  return `default-src 'none'; script-src ${hashes(/<script>([\s\S]*?)<\/script>/g)}; style-src ${hashes(/<style>([\s\S]*?)<\/style>/g)}; img-src data:; frame-ancestors 'none'`;
}
