/** Builders for realistic log lines, so tests state their traffic and derive expected numbers from it. */

export interface ProxyRequest {
  user: string | null;
  clientIp: string;
  host: string;
  method?: string;
  /** path for plain HTTP requests; omitted means a CONNECT tunnel to host:443 */
  path?: string;
  bytes: number;
  status?: number;
  result?: string;
  at: Date;
}

/** A line in Squid's native `squid` logformat. */
export function squidLine(r: ProxyRequest): string {
  const ts = (r.at.getTime() / 1000).toFixed(3);
  const method = r.method ?? (r.path ? 'GET' : 'CONNECT');
  const url = r.path ? `http://${r.host}${r.path}` : `${r.host}:443`;
  const result = r.result ?? (r.path ? 'TCP_MISS' : 'TCP_TUNNEL');
  return `${ts}    123 ${r.clientIp} ${result}/${r.status ?? 200} ${r.bytes} ${method} ${url} ${r.user ?? '-'} HIER_DIRECT/203.0.113.10 -`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A BIND 9 query-log line with the leading date and category. */
export function bindLine(q: { clientIp: string; name: string; type?: string; at: Date }): string {
  const d = q.at;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const date = `${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`;
  return `${date} queries: info: client @0x7f8a1c0b2d40 ${q.clientIp}#53211 (${q.name}): query: ${q.name} IN ${q.type ?? 'A'} +E(0)K (10.0.0.53)`;
}

/** Packs lines into Kafka message values of 1..maxPerMessage lines (deterministic). */
export function packLines(lines: string[], maxPerMessage: number): string[] {
  const out: string[] = [];
  let i = 0;
  let k = 0;
  while (i < lines.length) {
    const n = 1 + (k++ % maxPerMessage);
    out.push(lines.slice(i, i + n).join('\n'));
    i += n;
  }
  return out;
}
