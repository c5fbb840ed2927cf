/**
 * Blue Coat / Symantec (Broadcom) ProxySG and Edge SWG access logs in W3C ELFF: space-separated fields, values
 * with blanks in double quotes, `-` for "no value". The layout is whatever the last `#Fields:` directive said;
 * it may change mid-stream (log rotation, format change), so each parser instance keeps the current layout.
 * Before any `#Fields:` line the `bcreportermain_v1` default is assumed:
 *
 *   date time time-taken c-ip cs-username cs-auth-group s-exception-id sc-filter-result cs-categories cs(Referer)
 *   sc-status s-action cs-method rs(Content-Type) cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query
 *   cs-uri-extension cs(User-Agent) s-ip sc-bytes cs-bytes x-virus-id
 *
 * Fields are found by name, so any layout works that carries a time (`date` + `time`, or `x-timestamp-unix`).
 * ELFF `date`/`time` are GMT by definition, so `timeZone` does not apply. `url` is `cs-uri` when logged, else it is
 * put together from `cs-uri-scheme`, `cs-host`, `cs-uri-port`, `cs-uri-path` and `cs-uri-query` (`host:port` for
 * CONNECT and the `tcp`/`ssl` tunnel schemes). `s-ip` is the proxy itself, so `destIp` comes only from
 * `s-supplier-ip` or `r-ip`. `action`: `sc-filter-result` DENIED → blocked, OBSERVED/PROXIED → allowed; without it
 * an `s-action` containing DENIED → blocked, any other → allowed. Other `#` lines (`#Software`, `#Date`, …) are
 * skipped.
 */
import {
  emptyEvent, parsed, rejected, skipLine, type EventAction, type LineParser, type ParseResult, type ParserFactory,
} from '@shadow-ai/core';
import {
  CONTROL_CHARS_RE, ipOrNull, isoTimestamp, normalizeHostname, parseByteCount, parseHttpStatus, parseIpField,
  urlTarget,
} from './fields.util.ts';
import {
  CsvFields, GLUED_QUOTE, parseDateTime, parseEpochAuto, parsePortField, textOrNull, UNTERMINATED_QUOTE,
} from './vendor.util.ts';

export const PROXYSG_FORMAT = 'proxysg';

export const PROXYSG_DEFAULT_FIELDS = 'date time time-taken c-ip cs-username cs-auth-group s-exception-id '
  + 'sc-filter-result cs-categories cs(Referer) sc-status s-action cs-method rs(Content-Type) cs-uri-scheme cs-host '
  + 'cs-uri-port cs-uri-path cs-uri-query cs-uri-extension cs(User-Agent) s-ip sc-bytes cs-bytes x-virus-id';

/** Index of each field the event uses in one `#Fields:` layout; -1 when the layout lacks it. */
interface Layout {
  count: number;
  date: number;
  time: number;
  unixTime: number;
  clientIp: number;
  user: number;
  filterResult: number;
  status: number;
  sAction: number;
  method: number;
  uri: number;
  scheme: number;
  host: number;
  port: number;
  path: number;
  query: number;
  userAgent: number;
  scBytes: number;
  csBytes: number;
  supplierIp: number;
  remoteIp: number;
}

/** ELFF names (lowercased) per layout slot; the first name the layout has wins. */
const NAMES: Readonly<Record<Exclude<keyof Layout, 'count'>, readonly string[]>> = {
  date: ['date'],
  time: ['time'],
  unixTime: ['x-timestamp-unix'],
  clientIp: ['c-ip'],
  user: ['cs-username', 'cs-userdn'],
  filterResult: ['sc-filter-result'],
  status: ['sc-status'],
  sAction: ['s-action'],
  method: ['cs-method'],
  uri: ['cs-uri', 'log-uri'],
  scheme: ['cs-uri-scheme'],
  host: ['cs-host', 'cs-uri-host'],
  port: ['cs-uri-port'],
  path: ['cs-uri-path'],
  query: ['cs-uri-query'],
  userAgent: ['cs(user-agent)'],
  scBytes: ['sc-bytes'],
  csBytes: ['cs-bytes'],
  supplierIp: ['s-supplier-ip'],
  remoteIp: ['r-ip'],
};

const DEFAULT_PORTS: ReadonlyMap<string, number> = new Map([['http', 80], ['https', 443], ['ftp', 21]]);
const FIELDS_PREFIX = '#fields:';

export function buildLayout(names: readonly string[]): Layout {
  const lower = names.map((n) => n.toLowerCase());
  const layout = { count: names.length } as Layout;
  for (const [slot, candidates] of Object.entries(NAMES) as [Exclude<keyof Layout, 'count'>, readonly string[]][]) {
    let index = -1;
    for (const name of candidates) {
      index = lower.indexOf(name);
      if (index !== -1) break;
    }
    layout[slot] = index;
  }
  return layout;
}

const DEFAULT_LAYOUT = buildLayout(PROXYSG_DEFAULT_FIELDS.split(' '));

/** A fresh parser per stream: each keeps the layout of the last `#Fields:` line it saw. */
export const createProxySgParser: ParserFactory = () => {
  let layout = DEFAULT_LAYOUT;
  const parse: LineParser = (rawLine) => {
    const line = rawLine.trim();
    if (line.length === 0) return rejected('empty line');
    if (CONTROL_CHARS_RE.test(line)) return rejected('binary or control characters in line');
    if (line.charCodeAt(0) === 35 /* # */) {
      if (line.length >= FIELDS_PREFIX.length && line.slice(0, FIELDS_PREFIX.length).toLowerCase() === FIELDS_PREFIX) {
        const names = line.slice(FIELDS_PREFIX.length).trim().split(/\s+/);
        if (names[0] === '') return rejected('empty #Fields: directive');
        layout = buildLayout(names);
        return skipLine('#Fields: directive');
      }
      return skipLine('ELFF directive or comment');
    }
    return parseRecord(line, layout);
  };
  return parse;
};

function parseRecord(line: string, l: Layout): ParseResult {
  try {
    return readRecord(line, l);
  } finally {
    FIELDS.release();
  }
}

function readRecord(line: string, l: Layout): ParseResult {
  const f = FIELDS;
  const bad = indexElff(line, f);
  if (bad !== undefined) return rejected(bad);
  if (f.count !== l.count) {
    return rejected(f.count < l.count
      ? 'too few fields for the current #Fields: layout'
      : 'too many fields for the current #Fields: layout');
  }

  let ms: number | undefined;
  const date = field(f, l.date);
  const time = field(f, l.time);
  const unix = field(f, l.unixTime);
  if (date !== null && time !== null) {
    ms = parseDateTime(`${date} ${time}`, undefined);
    if (ms === undefined) return rejected('bad timestamp: expected date time like 2026-11-25 10:00:00');
  } else if (unix !== null) {
    ms = parseEpochAuto(unix);
    if (ms === undefined) return rejected('bad timestamp: x-timestamp-unix is not epoch seconds');
  } else {
    return rejected(l.date === -1 && l.unixTime === -1
      ? 'layout has no date/time fields'
      : 'no timestamp: date/time are -');
  }

  const clientIp = l.clientIp === -1 ? null : parseIpField(f.text(l.clientIp)!);
  if (clientIp === undefined) return rejected('bad client address (c-ip)');
  const status = l.status === -1 ? null : parseHttpStatus(f.text(l.status)!);
  if (status === undefined) return rejected('bad status (sc-status)');
  const bytesIn = l.scBytes === -1 ? null : parseByteCount(f.text(l.scBytes)!);
  if (bytesIn === undefined) return rejected('bad sc-bytes');
  const bytesOut = l.csBytes === -1 ? null : parseByteCount(f.text(l.csBytes)!);
  if (bytesOut === undefined) return rejected('bad cs-bytes');
  const port = parsePortField(field(f, l.port) ?? undefined);
  if (port === undefined) return rejected('bad port (cs-uri-port)');

  const event = emptyEvent('proxy', PROXYSG_FORMAT, isoTimestamp(ms));
  event.srcIp = clientIp;
  event.status = status;
  event.bytesIn = bytesIn;
  event.bytesOut = bytesOut;
  event.user = field(f, l.user);
  event.userAgent = field(f, l.userAgent);
  const method = field(f, l.method);
  event.method = method;
  const supplier = field(f, l.supplierIp) ?? field(f, l.remoteIp);
  event.destIp = supplier === null ? null : ipOrNull(supplier);
  event.action = actionOf(field(f, l.filterResult), field(f, l.sAction));

  const uri = field(f, l.uri);
  const hostText = field(f, l.host);
  if (hostText !== null) {
    const bare = hostText.charCodeAt(0) === 91 /* [ */ && hostText.endsWith(']') ? hostText.slice(1, -1) : hostText;
    // A hostname check first: it also passes IPv4 literals, and only IPv6 ones need the (slower) address check.
    event.host = normalizeHostname(bare) ?? ipOrNull(bare)?.toLowerCase() ?? null;
    event.destPort = port;
  }
  if (uri !== null) {
    event.url = uri;
    if (event.host === null) {
      const target = urlTarget(uri);
      event.host = target.host;
      event.destPort = target.port;
    }
  } else if (hostText !== null) {
    event.url = composeUrl(field(f, l.scheme), hostText, port, field(f, l.path), field(f, l.query), method);
  }
  if (event.destPort === null && event.url !== null && hostText !== null) event.destPort = urlTarget(event.url).port;
  return parsed(event);
}

function field(f: ElffFields, i: number): string | null {
  return i === -1 ? null : textOrNull(f.text(i));
}

/** The request URL from its logged parts; null without a scheme, which cannot be told from the rest. */
function composeUrl(
  scheme: string | null, host: string, port: number | null, path: string | null, query: string | null,
  method: string | null,
): string | null {
  const authorityHost = host.includes(':') && host.charCodeAt(0) !== 91 ? `[${host}]` : host;
  const s = scheme?.toLowerCase() ?? null;
  if (method === 'CONNECT' || s === 'tcp' || s === 'ssl') {
    return port === null ? authorityHost : `${authorityHost}:${port}`;
  }
  if (s === null) return null;
  const portPart = port === null || DEFAULT_PORTS.get(s) === port ? '' : `:${port}`;
  const q = query === null ? '' : query.charCodeAt(0) === 63 /* ? */ ? query : `?${query}`;
  return `${s}://${authorityHost}${portPart}${path ?? ''}${q}`;
}

function actionOf(filterResult: string | null, sAction: string | null): EventAction | null {
  if (filterResult !== null) {
    if (filterResult === 'DENIED') return 'blocked';
    if (filterResult === 'OBSERVED' || filterResult === 'PROXIED') return 'allowed';
  }
  if (sAction === null) return null;
  return sAction.includes('DENIED') ? 'blocked' : 'allowed';
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** ELFF fields of one record: positions, text cut out only for the fields the layout maps. */
class ElffFields extends CsvFields {
  override text(i: number): string | undefined {
    if (i >= this.count) return undefined;
    const from = this.starts[i]!;
    const to = this.ends[i]!;
    return this.escaped[i] === 1 ? unescapeElff(this.line, from, to) : this.line.slice(from, to);
  }
}

/** Reused: parsing is synchronous and never re-entered. */
const FIELDS = new ElffFields();

/**
 * ELFF fields into `out`: blank-separated; a field starting with `"` runs to the closing quote (`""` or `\"` inside
 * for a quote). Returns the reason when a quoted field is malformed.
 */
function indexElff(line: string, out: ElffFields): string | undefined {
  out.line = line;
  out.count = 0;
  const n = line.length;
  let i = 0;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (isBlank(c)) {
      i++;
      continue;
    }
    if (c === 34 /* " */) {
      let chunk = i + 1;
      let k = chunk;
      let escaped = false;
      let close: number;
      for (;;) {
        const q = line.indexOf('"', k);
        if (q === -1) return UNTERMINATED_QUOTE;
        if (line.charCodeAt(q + 1) === 34) {
          k = q + 2;
        } else if (line.charCodeAt(q - 1) === 92 /* \ */ && q - 1 >= chunk) {
          k = q + 1;
        } else {
          close = q;
          k = q + 1;
          break;
        }
        escaped = true;
        chunk = k;
      }
      if (k < n && !isBlank(line.charCodeAt(k))) return GLUED_QUOTE;
      out.push(i + 1, close, escaped);
      i = k;
    } else {
      let end = i + 1;
      while (end < n && !isBlank(line.charCodeAt(end))) end++;
      out.push(i, end, false);
      i = end;
    }
  }
  return undefined;
}

/**
 * The text of a quoted field between its opening quote (exclusive, `from`) and its closing one (`close`), reading
 * each inner quote as indexElff did: `""` → `"`, `\"` → `"`.
 */
function unescapeElff(line: string, from: number, close: number): string {
  let value = '';
  let chunk = from;
  let k = from;
  for (;;) {
    const q = line.indexOf('"', k);
    if (q === -1 || q >= close) return value + line.slice(chunk, close);
    if (line.charCodeAt(q + 1) === 34) {
      value += line.slice(chunk, q + 1);
      k = q + 2;
    } else {
      value += `${line.slice(chunk, q - 1)}"`;
      k = q + 1;
    }
    chunk = k;
  }
}
