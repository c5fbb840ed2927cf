const int = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

export const fmtInt = (n: number) => int.format(n);

export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export const fmtPct = (x: number) => `${(x * 100).toFixed(x > 0 && x < 0.1 ? 1 : 0)} %`;

/** Times in UTC, as the logs and the API give them: analysts compare them with raw log lines. */
export function fmtTime(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

export function severityClass(s: number): string {
  return s >= 80 ? 'sev sev-critical' : s >= 60 ? 'sev sev-high' : s >= 40 ? 'sev sev-medium' : 'sev sev-low';
}

export function riskClass(r: number | null): string {
  return r === null ? 'risk' : r >= 7 ? 'risk risk-high' : r >= 4 ? 'risk risk-medium' : 'risk risk-low';
}

/** What a finding is about: the app, or for findings outside the catalog (candidate hosts, resolvers) its key. */
export function findingSubject(f: { appId: string; appName: string | null; key: string }): string {
  return f.appName ?? (f.appId || f.key || 'organisation');
}
