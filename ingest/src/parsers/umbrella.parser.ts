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
  emptyEvent, parsed, rejected, skipLine, type EventAction, type LineParser, type ParseError, type ParseResult,
  type ParserFactory,
} from '@shadow-ai/core';
import {
  CONTROL_CHARS_RE, isDigits, isoTimestamp, normalizeHostname, parseByteCount, parseHttpStatus, parseIpField,
  urlTarget,
} from './fields.util.ts';
import { CsvFields, indexCsv, parseDateTime, textOrNull } from './vendor.util.ts';

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

/** Reused: parsing is synchronous and never re-entered. */
const COLUMNS = new CsvFields();

export const parseUmbrellaDns: LineParser = (rawLine) => {
  try {
    return readUmbrellaDns(rawLine);
  } finally {
    COLUMNS.release();
  }
};

export const parseUmbrellaProxy: LineParser = (rawLine) => {
  try {
    return readUmbrellaProxy(rawLine);
  } finally {
    COLUMNS.release();
  }
};

function readUmbrellaDns(rawLine: string): ParseResult {
  const bad = prepare(rawLine);
  if (bad !== undefined) return bad;
  const c = COLUMNS;
  if (isHeaderRow(c)) return skipLine('column header row');
  if (c.count < DNS_MIN_COLUMNS) return rejected('too few columns for an Umbrella DNS log (need at least 9)');
  const ms = parseDateTime(c.text(DNS.ts)!, undefined);
  if (ms === undefined) return rejected('bad timestamp: expected 2026-11-25 10:00:00');
  const internalIp = parseIpField(c.text(DNS.internalIp) || '-');
  if (internalIp === undefined) return rejected('bad internal ip');
  if (parseIpField(c.text(DNS.externalIp) || '-') === undefined) return rejected('bad external ip');
  const dnsType = queryType(c.text(DNS.qtype)!);
  if (dnsType === undefined) return rejected('bad query type: expected like "1 (A)"');
  const domain = c.text(DNS.domain)!;
  if (domain === '') return rejected('no domain');
  if (domain.includes('/')) return rejected('bad domain: a URL, not a DNS name');

  const event = emptyEvent('dns', UMBRELLA_DNS_FORMAT, isoTimestamp(ms));
  event.srcIp = internalIp;
  event.host = normalizeHostname(domain);
  event.dnsType = dnsType;
  event.dnsRcode = textOrNull(c.text(DNS.rcode));
  event.action = actionOf(c.text(DNS.action)!);
  event.user = userOf(c, DNS.identity, DNS.identityType, DNS.identities, DNS.identityTypes);
  return parsed(event);
}

function readUmbrellaProxy(rawLine: string): ParseResult {
  const bad = prepare(rawLine);
  if (bad !== undefined) return bad;
  const c = COLUMNS;
  if (isHeaderRow(c)) return skipLine('column header row');
  if (c.count < PROXY_MIN_COLUMNS) return rejected('too few columns for an Umbrella proxy log (need at least 13)');
  const ms = parseDateTime(c.text(PROXY.ts)!, undefined);
  if (ms === undefined) return rejected('bad timestamp: expected 2026-11-25 10:00:00');
  const internalIp = parseIpField(c.text(PROXY.internalIp) || '-');
  if (internalIp === undefined) return rejected('bad internal ip');
  if (parseIpField(c.text(PROXY.externalIp) || '-') === undefined) return rejected('bad external ip');
  const destIp = parseIpField(c.text(PROXY.destIp) || '-');
  if (destIp === undefined) return rejected('bad destination ip');
  const status = parseHttpStatus(c.text(PROXY.status) || '-');
  if (status === undefined) return rejected('bad status code');
  const bytesOut = parseByteCount(c.text(PROXY.requestSize) || '-');
  if (bytesOut === undefined) return rejected('bad requested size');
  const bytesIn = parseByteCount(c.text(PROXY.responseSize) || '-');
  if (bytesIn === undefined) return rejected('bad response size');

  const event = emptyEvent('proxy', UMBRELLA_PROXY_FORMAT, isoTimestamp(ms));
  event.srcIp = internalIp;
  event.destIp = destIp;
  event.status = status;
  event.bytesOut = bytesOut;
  event.bytesIn = bytesIn;
  event.userAgent = textOrNull(c.text(PROXY.userAgent));
  event.action = actionOf(c.text(PROXY.verdict)!);
  const url = textOrNull(c.text(PROXY.url));
  if (url !== null) {
    event.url = url;
    const target = urlTarget(url);
    event.host = target.host;
    event.destPort = target.port;
  }
  const method = textOrNull(c.text(PROXY.method));
  event.method = method === null ? null : method.toUpperCase();
  event.user = userOf(c, PROXY.identity, PROXY.identityType, PROXY.identities, PROXY.identityTypes);
  return parsed(event);
}

/** Both formats are stateless: the factories hand out the shared functions. */
export const createUmbrellaDnsParser: ParserFactory = () => parseUmbrellaDns;
export const createUmbrellaProxyParser: ParserFactory = () => parseUmbrellaProxy;

/** Locates the columns of a CSV record in COLUMNS; the rejection when it is none. */
function prepare(rawLine: string): ParseError | undefined {
  const line = rawLine.trim();
  if (line.length === 0) return rejected('empty line');
  if (CONTROL_CHARS_RE.test(line)) return rejected('binary or control characters in line');
  if (line.charCodeAt(0) !== 34 /* " */) return rejected('unsupported layout: expected a quoted CSV record');
  const bad = indexCsv(line, 0, ',', Infinity, COLUMNS);
  return bad === undefined ? undefined : rejected(bad);
}

function isHeaderRow(c: CsvFields): boolean {
  if (c.rawLength(0) !== 9) return false;
  const first = c.text(0) ?? '';
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
  c: CsvFields, identity: number, identityType: number, identities: number, types: number,
): string | null {
  if (isUserType(c.text(identityType))) return textOrNull(c.text(identity));
  const typeList = c.text(types);
  const nameList = c.text(identities);
  if (typeList === undefined || nameList === undefined || typeList === '' || nameList === '') return null;
  // The two lists line up one to one: walked in step, without splitting either.
  let typeFrom = 0;
  let nameFrom = 0;
  let found = -1;
  let foundEnd = -1;
  for (;;) {
    const typeEnd = commaOrEnd(typeList, typeFrom);
    const nameEnd = commaOrEnd(nameList, nameFrom);
    if (found === -1 && isUserTypeAt(typeList, typeFrom, typeEnd)) {
      found = nameFrom;
      foundEnd = nameEnd;
    }
    const typesDone = typeEnd === typeList.length;
    const namesDone = nameEnd === nameList.length;
    if (typesDone !== namesDone) return null;
    if (typesDone) break;
    typeFrom = typeEnd + 1;
    nameFrom = nameEnd + 1;
  }
  return found === -1 ? null : textOrNull(nameList.slice(found, foundEnd).trim());
}

function commaOrEnd(s: string, from: number): number {
  const comma = s.indexOf(',', from);
  return comma === -1 ? s.length : comma;
}

function isUserType(t: string | undefined): boolean {
  return t !== undefined && isUserTypeAt(t, 0, t.length);
}

/** s[from, to) contains `user` in any case (`AD User`, `Directory User`, `anyconnect_user`). */
function isUserTypeAt(s: string, from: number, to: number): boolean {
  for (let i = from; i + 4 <= to; i++) {
    if ((s.charCodeAt(i) | 32) === 117 /* u */ && (s.charCodeAt(i + 1) | 32) === 115 /* s */
      && (s.charCodeAt(i + 2) | 32) === 101 /* e */ && (s.charCodeAt(i + 3) | 32) === 114 /* r */) {
      return true;
    }
  }
  return false;
}
