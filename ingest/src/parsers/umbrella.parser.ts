/**
 * Cisco Umbrella logs as exported to S3 (`dnslogs/…csv.gz`, `proxylogs/…csv.gz`): quoted CSV, one record per line,
 * timestamps in UTC (`2026-11-25 10:00:00`). Each log schema version appends columns, so a line is read by the
 * positions it has: the columns every version carries are required, later ones are used when present.
 *
 * - `umbrella-dns` (`kind` dns): `timestamp, most granular identity, identities, internal ip, external ip, action,
 *   query type, response code, domain, categories[, most granular identity type, identity types, blocked
 *   categories, …]`. At least the 9 columns through `domain`.
 * - `umbrella-proxy` (`kind` proxy), the web/SWG log: `timestamp, policy identity (older versions: identities),
 *   internal ip, external ip, destination ip, content type, verdict, url, referer, user agent, status code,
 *   requested size, response size, response body size, sha256, categories, av detections, puas, amp disposition,
 *   amp malware name, amp score, policy identity type, blocked categories, identities, identity types, request
 *   method, …`. At least the 13 columns through `response size`.
 *
 * `user` is set only from an identity whose identity type says it is a user (`AD User`, …): Umbrella identities
 * are also networks, sites and computers, which are not users. Lines without the type columns leave it null.
 * `srcIp` is the internal (client) address; the external address is the network's egress, not the client.
 * The optional header row (`"Timestamp",…`) is skipped.
 */
import {
  emptyEvent, parsed, rejected, skipLine, type EventAction, type LineParser, type ParseError, type ParserFactory,
} from '@shadow-ai/core';
import {
  CONTROL_CHARS_RE, isDigits, isoTimestamp, normalizeHostname, parseByteCount, parseHttpStatus, parseIpField,
  urlTarget,
} from './fields.util.ts';
import { parseDateTime, splitCsv, textOrNull } from './vendor.util.ts';

export const UMBRELLA_DNS_FORMAT = 'umbrella-dns';
export const UMBRELLA_PROXY_FORMAT = 'umbrella-proxy';

const DNS = {
  ts: 0, identity: 1, identities: 2, internalIp: 3, externalIp: 4, action: 5, qtype: 6, rcode: 7, domain: 8,
  identityType: 10, identityTypes: 11,
} as const;
const DNS_MIN_COLUMNS = DNS.domain + 1;

const PROXY = {
  ts: 0, identity: 1, internalIp: 2, externalIp: 3, destIp: 4, verdict: 6, url: 7, userAgent: 9, status: 10,
  requestSize: 11, responseSize: 12, identityType: 21, identities: 23, identityTypes: 24, method: 25,
} as const;
const PROXY_MIN_COLUMNS = PROXY.responseSize + 1;

/** `A`, `AAAA`, `HTTPS`, `NSAP-PTR`, `TYPE65`. */
function isDnsTypeName(s: string): boolean {
  if (s.length === 0 || s.length > 12) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 65 && c <= 90) || (i > 0 && ((c >= 48 && c <= 57) || c === 45));
    if (!ok) return false;
  }
  return true;
}

export const parseUmbrellaDns: LineParser = (rawLine) => {
  const c = prepare(rawLine);
  if (!Array.isArray(c)) return c;
  if (isHeaderRow(c)) return skipLine('column header row');
  if (c.length < DNS_MIN_COLUMNS) return rejected('too few columns for an Umbrella DNS log (need at least 9)');
  const ms = parseDateTime(c[DNS.ts]!, undefined);
  if (ms === undefined) return rejected('bad timestamp: expected 2026-11-25 10:00:00');
  const internalIp = parseIpField(c[DNS.internalIp] || '-');
  if (internalIp === undefined) return rejected('bad internal ip');
  if (parseIpField(c[DNS.externalIp] || '-') === undefined) return rejected('bad external ip');
  const dnsType = queryType(c[DNS.qtype]!);
  if (dnsType === undefined) return rejected('bad query type: expected like "1 (A)"');
  const domain = c[DNS.domain]!;
  if (domain === '') return rejected('no domain');
  if (domain.includes('/')) return rejected('bad domain: a URL, not a DNS name');

  const event = emptyEvent('dns', UMBRELLA_DNS_FORMAT, isoTimestamp(ms));
  event.srcIp = internalIp;
  event.host = normalizeHostname(domain);
  event.dnsType = dnsType;
  event.dnsRcode = textOrNull(c[DNS.rcode]);
  event.action = actionOf(c[DNS.action]!);
  event.user = userOf(c, DNS.identity, DNS.identityType, DNS.identities, DNS.identityTypes);
  return parsed(event);
};

export const parseUmbrellaProxy: LineParser = (rawLine) => {
  const c = prepare(rawLine);
  if (!Array.isArray(c)) return c;
  if (isHeaderRow(c)) return skipLine('column header row');
  if (c.length < PROXY_MIN_COLUMNS) return rejected('too few columns for an Umbrella proxy log (need at least 13)');
  const ms = parseDateTime(c[PROXY.ts]!, undefined);
  if (ms === undefined) return rejected('bad timestamp: expected 2026-11-25 10:00:00');
  const internalIp = parseIpField(c[PROXY.internalIp] || '-');
  if (internalIp === undefined) return rejected('bad internal ip');
  if (parseIpField(c[PROXY.externalIp] || '-') === undefined) return rejected('bad external ip');
  const destIp = parseIpField(c[PROXY.destIp] || '-');
  if (destIp === undefined) return rejected('bad destination ip');
  const status = parseHttpStatus(c[PROXY.status] || '-');
  if (status === undefined) return rejected('bad status code');
  const bytesOut = parseByteCount(c[PROXY.requestSize] || '-');
  if (bytesOut === undefined) return rejected('bad requested size');
  const bytesIn = parseByteCount(c[PROXY.responseSize] || '-');
  if (bytesIn === undefined) return rejected('bad response size');

  const event = emptyEvent('proxy', UMBRELLA_PROXY_FORMAT, isoTimestamp(ms));
  event.srcIp = internalIp;
  event.destIp = destIp;
  event.status = status;
  event.bytesOut = bytesOut;
  event.bytesIn = bytesIn;
  event.userAgent = textOrNull(c[PROXY.userAgent]);
  event.action = actionOf(c[PROXY.verdict]!);
  const url = textOrNull(c[PROXY.url]);
  if (url !== null) {
    event.url = url;
    const target = urlTarget(url);
    event.host = target.host;
    event.destPort = target.port;
  }
  const method = textOrNull(c[PROXY.method]);
  event.method = method === null ? null : method.toUpperCase();
  event.user = userOf(c, PROXY.identity, PROXY.identityType, PROXY.identities, PROXY.identityTypes);
  return parsed(event);
};

/** Both formats are stateless: the factories hand out the shared functions. */
export const createUmbrellaDnsParser: ParserFactory = () => parseUmbrellaDns;
export const createUmbrellaProxyParser: ParserFactory = () => parseUmbrellaProxy;

/** The columns of a CSV record, or the rejection. */
function prepare(rawLine: string): string[] | ParseError {
  const line = rawLine.trim();
  if (line.length === 0) return rejected('empty line');
  if (CONTROL_CHARS_RE.test(line)) return rejected('binary or control characters in line');
  if (line.charCodeAt(0) !== 34 /* " */) return rejected('unsupported layout: expected a quoted CSV record');
  const cols = splitCsv(line, 0, ',');
  return typeof cols === 'string' ? rejected(cols) : cols;
}

function isHeaderRow(c: readonly string[]): boolean {
  const first = c[0] ?? '';
  return first.length === 9 && first.toLowerCase() === 'timestamp';
}

/** `Allowed`/`ALLOWED` and `Blocked`/`BLOCKED`; anything else (e.g. a proxied or warned verdict) is unknown. */
function actionOf(s: string): EventAction | null {
  const a = s.toLowerCase();
  return a === 'allowed' ? 'allowed' : a === 'blocked' ? 'blocked' : null;
}

/**
 * `1 (A)` → `A`; a bare number → `TYPE65` (RFC 3597); undefined otherwise. A bare mnemonic is refused: Umbrella
 * always writes the number, and accepting any capitalised word would let other CSV records pass for DNS ones.
 */
function queryType(s: string): string | null | undefined {
  if (s === '') return null;
  const open = s.indexOf(' (');
  if (open !== -1) {
    if (!s.endsWith(')') || !isDigits(s.slice(0, open))) return undefined;
    const name = s.slice(open + 2, -1);
    return isDnsTypeName(name) ? name : undefined;
  }
  return isDigits(s) && s.length <= 5 ? `TYPE${s}` : undefined;
}

/**
 * The identity that is a user: the most granular one when its type is a user type, else the user among all the
 * request's identities when the two lists (`identities`, `identity types`) line up one to one.
 */
function userOf(
  c: readonly string[], identity: number, identityType: number, identities: number, types: number,
): string | null {
  if (isUserType(c[identityType])) return textOrNull(c[identity]);
  const typeList = c[types];
  const nameList = c[identities];
  if (typeList === undefined || nameList === undefined || typeList === '' || nameList === '') return null;
  const typeParts = typeList.split(',');
  const nameParts = nameList.split(',');
  if (typeParts.length !== nameParts.length) return null;
  for (let i = 0; i < typeParts.length; i++) {
    if (isUserType(typeParts[i])) return textOrNull(nameParts[i]!.trim());
  }
  return null;
}

function isUserType(t: string | undefined): boolean {
  return t !== undefined && t.toLowerCase().includes('user');
}
