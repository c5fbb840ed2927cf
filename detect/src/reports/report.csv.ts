import type { MonthlyReport } from './monthly.report.ts';

/** Columns of the CSV report: one long ("tidy") table, so every section fits one file and pivots in a spreadsheet. */
export const CSV_COLUMNS = ['section', 'key', 'name', 'metric', 'value'] as const;

type Cell = string | number | null;

/**
 * Text cells that a spreadsheet would run as a formula (=, +, -, @, and tab/CR which some treat alike)
 * get a leading apostrophe (OWASP CSV injection). Numbers are written as numbers and left alone.
 */
export function csvCell(v: Cell): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** RFC 4180: CRLF line ends, quotes doubled inside quoted fields. */
export function renderCsv(r: MonthlyReport): string {
  const rows: Cell[][] = [];
  const add = (section: string, key: string, name: string | null, metric: string, value: Cell) => rows.push([section, key, name, metric, value]);

  add('report', r.month, 'Shadow AI monthly report', 'month', r.month);
  add('report', r.month, null, 'previousMonth', r.previousMonth);
  add('report', r.month, null, 'generatedAt', r.generatedAt);
  add('report', r.month, null, 'sanctionsAsOf', r.sanctionsAsOf);
  add('report', r.month, null, 'catalogVersion', r.catalogVersion);
  for (const [period, t] of [['current', r.summary.current], ['previous', r.summary.previous]] as const) {
    for (const [metric, value] of Object.entries(t)) add('summary', period, period === 'current' ? r.month : r.previousMonth, metric, value);
  }
  for (const [metric, value] of Object.entries(r.summary.change)) add('summary', 'change', null, metric, value);
  add('summary', 'current', r.month, 'newApps', r.summary.newApps);
  add('summary', 'current', r.month, 'findingsOpened', r.summary.findingsOpened);
  add('summary', 'current', r.month, 'findingsResolved', r.summary.findingsResolved);

  for (const a of r.apps) {
    add('apps', a.appId, a.name, 'sanction', a.sanction);
    add('apps', a.appId, a.name, 'risk', a.risk);
    add('apps', a.appId, a.name, 'users', a.users);
    add('apps', a.appId, a.name, 'events', a.events);
    add('apps', a.appId, a.name, 'blocked', a.blocked);
    add('apps', a.appId, a.name, 'bytesOut', a.bytesOut);
    add('apps', a.appId, a.name, 'bytesIn', a.bytesIn);
  }
  for (const a of r.newApps) {
    add('new-apps', a.appId, a.name, 'firstSeen', a.firstSeen);
    add('new-apps', a.appId, a.name, 'users', a.users);
    add('new-apps', a.appId, a.name, 'events', a.events);
  }
  for (const [period, series] of [['current', r.unsanctionedTrend.current], ['previous', r.unsanctionedTrend.previous]] as const) {
    for (const d of series) {
      add(`unsanctioned-trend-${period}`, d.day, null, 'events', d.events);
      add(`unsanctioned-trend-${period}`, d.day, null, 'users', d.users);
    }
  }
  for (const u of r.topUnsanctionedUsers) {
    add('top-unsanctioned-users', u.user, null, 'events', u.events);
    add('top-unsanctioned-users', u.user, null, 'bytesOut', u.bytesOut);
    add('top-unsanctioned-users', u.user, null, 'apps', u.apps.join(' '));
  }
  for (const u of r.uploads) add('uploads', u.appId, u.name, 'bytesOut', u.bytesOut);
  add('findings', 'all', null, 'opened', r.findings.opened);
  add('findings', 'all', null, 'resolved', r.findings.resolved);
  add('findings', 'all', null, 'stillOpen', r.findings.stillOpen);
  for (const c of r.findings.openedByType) add('findings-opened-by-type', c.key, null, 'count', c.count);
  for (const c of r.findings.openedBySeverity) add('findings-opened-by-severity', c.key, null, 'count', c.count);
  for (const c of r.findings.resolvedByType) add('findings-resolved-by-type', c.key, null, 'count', c.count);
  for (const c of r.findings.resolvedBySeverity) add('findings-resolved-by-severity', c.key, null, 'count', c.count);
  for (const metric of ['registered', 'expired', 'orphaned', 'seen', 'unregisteredSeen'] as const) add('agents', 'all', null, metric, r.agents[metric]);
  for (const a of r.agents.items) {
    add('agent', a.identity, a.kind, 'status', a.status);
    add('agent', a.identity, a.kind, 'sponsor', a.sponsor);
    add('agent', a.identity, a.kind, 'events', a.events);
  }
  return [CSV_COLUMNS as readonly Cell[], ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** Parses RFC 4180 text back into rows (for tests and for people checking an export). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
