/**
 * Helpers shared by the DNS, Zeek, CEF/LEEF, JSON and custom-Squid parsers (fields.util.ts has the ones
 * shared with squid/bind). Hot path: everything here runs per line, so no regex is compiled per call.
 * Same convention as fields.util.ts: `undefined` = malformed, `null` = not known.
 */
import {
  isValidTimeZone, zonedTimeToUtc, type EventAction, type NormalizedEvent, type ParseContext, type ParseResult,
  type ParserFactory, type ParserOptions,
} from '@shadow-ai/core';
import { isIP } from 'node:net';
import {
  digitsAt, ipVersion, isDigits, isoTimestamp, normalizeHostname, parseAuthority, parseByteCount, utcMillis,
} from './fields.util.ts';

export const UTC = 'UTC';

/**
 * The zone for timestamps without an offset: `opts.timeZone`, default UTC. An unknown zone is a config bug,
 * so the factory throws rather than every line failing.
 */
export function resolveTimeZone(opts: ParserOptions | undefined, format: string): string {
  const zone = opts?.timeZone ?? UTC;
  if (zone === UTC || zone === 'Etc/UTC') return UTC;
  if (!isValidTimeZone(zone)) {
    throw new Error(`${format}: unknown time zone "${zone}" in timeZone (expected an IANA name like Europe/Berlin)`);
  }
  return zone;
}

/**
 * The factory of a parser whose only option is the time zone, for the parsers that keep one line's values in a
 * module-level scratch (reused, as parsing is synchronous and never re-entered). `release` runs after every line,
 * whatever the outcome, so the scratch never keeps a line (or the body it is a view into) alive.
 */
export function zonedParserFactory<Zone>(
  resolveZone: (opts: ParserOptions | undefined) => Zone,
  read: (line: string, ctx: ParseContext, zone: Zone) => ParseResult,
  release: () => void,
): ParserFactory {
  return (opts) => {
    const zone = resolveZone(opts);
    return (line, ctx) => {
      try {
        return read(line, ctx, zone);
      } finally {
        release();
      }
    };
  };
}

// ------------------------------------------------------------------------------------- flow fields

/** How one parser reads the optional endpoint fields: its port grammar and a rejection reason per field. */
export interface FlowFieldRules {
  /** The port as the vendor writes it: null for "none", undefined when malformed. */
  port: (text: string) => number | null | undefined;
  badSrc: string;
  badDst: string;
  badPort: string;
  badBytesOut: string;
  badBytesIn: string;
  /** Checks bytesIn before bytesOut (the order in which a line with both malformed has always been rejected). */
  bytesInFirst?: boolean;
}

/**
 * The optional endpoint fields of a line, as logged (null or undefined: absent), checked and written into `event`
 * (srcIp, destIp, destPort, bytesOut, bytesIn; null when absent). Returns the reason of the first malformed one:
 * addresses, then the port, then the byte counts.
 */
export function readFlowFields(
  event: NormalizedEvent, rules: FlowFieldRules, src: string | null | undefined, dst: string | null | undefined,
  port: string | null | undefined, bytesOut: string | null | undefined, bytesIn: string | null | undefined,
): string | undefined {
  if (!isAbsent(src) && ipVersion(src) === 0) return rules.badSrc;
  if (!isAbsent(dst) && ipVersion(dst) === 0) return rules.badDst;
  const destPort = isAbsent(port) ? null : rules.port(port);
  if (destPort === undefined) return rules.badPort;
  const outCount = isAbsent(bytesOut) ? null : parseByteCount(bytesOut);
  const inCount = isAbsent(bytesIn) ? null : parseByteCount(bytesIn);
  if (rules.bytesInFirst === true && inCount === undefined) return rules.badBytesIn;
  if (outCount === undefined) return rules.badBytesOut;
  if (inCount === undefined) return rules.badBytesIn;
  event.srcIp = src ?? null;
  event.destIp = dst ?? null;
  event.destPort = destPort;
  event.bytesOut = outCount;
  event.bytesIn = inCount;
  return undefined;
}

function isAbsent(text: string | null | undefined): text is null | undefined {
  return text === undefined || text === null;
}

const QUARTER_HOUR = 900_000;

/** Per zone: the last quarter hour of wall-clock time converted, and its offset. */
const zoneOffsetMemo = new Map<string, { bucket: number; offset: number }>();

/**
 * A wall-clock time in `zone` → epoch ms; undefined when a part is out of range (31 Feb, hour 24, …).
 * Lines come in time order, so the offset of the last quarter hour of wall time is memoised per zone: DST
 * changes fall on whole quarter hours, so every wall time in one quarter maps with the same offset (the
 * earlier instant in a repeated hour, shifted forward in a skipped one, as zonedTimeToUtc decides).
 */
export function wallToUtc(
  zone: string, year: number, month0: number, day: number, hour: number, minute: number, second: number, millis: number,
): number | undefined {
  const wall = utcMillis(year, month0, day, hour, minute, second, millis);
  if (wall === undefined || zone === UTC) return wall;
  const bucket = Math.floor(wall / QUARTER_HOUR);
  const memo = zoneOffsetMemo.get(zone);
  if (memo !== undefined && memo.bucket === bucket) return wall - memo.offset;
  const start = bucket * QUARTER_HOUR;
  const d = new Date(start);
  const offset = start - zonedTimeToUtc(zone, d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(),
    d.getUTCMinutes(), 0, 0);
  if (memo !== undefined) {
    memo.bucket = bucket;
    memo.offset = offset;
  } else {
    if (zoneOffsetMemo.size > 1000) zoneOffsetMemo.clear();
    zoneOffsetMemo.set(zone, { bucket, offset });
  }
  return wall - offset;
}

/**
 * The year of a date logged without one (syslog's `Nov 25 10:00:00`): the year of `receivedAt`, or the one
 * before/after when the month is more than half a year away (December lines read in January, and lines
 * from a sender already in the new year), never before 1970. Undefined when receivedAt is not a valid date.
 */
export function inferYear(month0: number, receivedAt: Date): number | undefined {
  const ms = receivedAt.getTime();
  if (Number.isNaN(ms)) return undefined;
  const year = receivedAt.getUTCFullYear();
  const diff = month0 - receivedAt.getUTCMonth();
  // Not before 1970: format auto-detection passes the epoch as receivedAt, and 1969 is no valid log year.
  if (diff > 6) return year > 1970 ? year - 1 : year;
  if (diff < -6) return year + 1;
  return year;
}

/** `ctx.receivedAt` as the event time, for lines that carry none; undefined for an invalid date. */
export function receivedTs(receivedAt: Date): string | undefined {
  const ms = receivedAt.getTime();
  return Number.isNaN(ms) ? undefined : isoTimestamp(ms);
}

/** Epoch ms that fit the contract's 4-digit-year ISO form; anything else is treated as malformed. */
export function validEpochMs(ms: number): boolean {
  return Number.isFinite(ms) && ms >= 0 && ms <= 253402300799999;
}

/**
 * A JSON number as an epoch time: seconds (below 1e11, i.e. before year 5138), else milliseconds,
 * microseconds or nanoseconds by magnitude. Fractions below the millisecond are truncated.
 */
export function epochNumberToMillis(n: number): number | undefined {
  if (!Number.isFinite(n) || n < 0) return undefined;
  let ms: number;
  // Round to whole microseconds first: 1732528800.123 * 1000 is 1732528800122.9998 in binary floating point.
  if (n < 1e11) ms = Math.floor(Math.round(n * 1e6) / 1000);
  else if (n < 1e14) ms = Math.floor(n);
  else if (n < 1e17) ms = Math.floor(n / 1e3);
  else if (n < 1e20) ms = Math.floor(n / 1e6);
  else return undefined;
  return validEpochMs(ms) ? ms : undefined;
}

/**
 * ISO 8601 / RFC 3339 date-time: `YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|±HH:MM|±HHMM|±HH]`. Without an offset
 * the wall clock is read in `zone`. Undefined when malformed.
 */
export function parseIsoMillis(s: string, zone: string): number | undefined {
  if (s.length < 19 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return undefined;
  const sep = s.charCodeAt(10);
  if (sep !== 84 /* T */ && sep !== 32 && sep !== 116 /* t */) return undefined;
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return undefined;
  const year = digitsAt(s, 0, 4);
  const month = digitsAt(s, 5, 2);
  const day = digitsAt(s, 8, 2);
  const hour = digitsAt(s, 11, 2);
  const minute = digitsAt(s, 14, 2);
  const second = digitsAt(s, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  let i = 19;
  let millis = 0;
  const dot = s.charCodeAt(i);
  if (dot === 46 /* . */ || dot === 44 /* , */) {
    i++;
    const start = i;
    while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    const n = i - start;
    if (n === 0 || n > 9) return undefined;
    millis = n >= 3 ? digitsAt(s, start, 3) : digitsAt(s, start, n) * (n === 1 ? 100 : 10);
  }
  if (i === s.length) return wallToUtc(zone, year, month - 1, day, hour, minute, second, millis);
  const wall = utcMillis(year, month - 1, day, hour, minute, second, millis);
  if (wall === undefined) return undefined;
  const c = s.charCodeAt(i);
  if ((c === 90 /* Z */ || c === 122 /* z */) && i + 1 === s.length) return wall;
  const offset = parseOffset(s, i);
  return offset === undefined ? undefined : wall - offset;
}

/** `+01:00`, `+0100`, `+01`, `-05:30` from `start` to the end of `s` → offset in ms east of UTC. */
export function parseOffset(s: string, start: number): number | undefined {
  const sign = s.charCodeAt(start) === 43 ? 1 : s.charCodeAt(start) === 45 ? -1 : 0;
  if (sign === 0) return undefined;
  const rest = s.length - start - 1;
  const hours = digitsAt(s, start + 1, 2);
  let minutes: number;
  if (rest === 2) minutes = 0;
  else if (rest === 4) minutes = digitsAt(s, start + 3, 2);
  else if (rest === 5 && s.charCodeAt(start + 3) === 58) minutes = digitsAt(s, start + 4, 2);
  else return undefined;
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes) * 60_000;
}

/**
 * Time-zone designators that mean one offset only. Ambiguous ones (CST: US or China, IST: India, Israel or
 * Ireland, BST) are left out on purpose: a line using them is rejected rather than placed at a guessed time.
 */
const ZONE_ABBREVIATIONS: ReadonlyMap<string, number> = new Map([
  ['UTC', 0], ['GMT', 0], ['UT', 0], ['Z', 0],
  ['EST', -5], ['EDT', -4], ['MST', -7], ['MDT', -6], ['PST', -8], ['PDT', -7], ['AKST', -9], ['AKDT', -8], ['HST', -10],
  ['WET', 0], ['WEST', 1], ['CET', 1], ['CEST', 2], ['EET', 2], ['EEST', 3], ['MSK', 3],
  ['JST', 9], ['KST', 9], ['AEST', 10], ['AEDT', 11], ['AWST', 8], ['NZST', 12], ['NZDT', 13],
].map(([name, hours]) => [name as string, (hours as number) * 3_600_000]));

const zoneValidity = new Map<string, boolean>();

/**
 * A written time zone (`UTC`, `GMT+01:00`, `UTC-5`, `+0100`, `CET`, `Europe/Berlin`) applied to a wall clock.
 * Undefined for a zone that is unknown or ambiguous.
 */
export function wallInNamedZone(
  zoneText: string, year: number, month0: number, day: number, hour: number, minute: number, second: number,
  millis: number,
): number | undefined {
  const wall = utcMillis(year, month0, day, hour, minute, second, millis);
  if (wall === undefined) return undefined;
  const fixed = ZONE_ABBREVIATIONS.get(zoneText.toUpperCase());
  if (fixed !== undefined) return wall - fixed;
  const first = zoneText.charCodeAt(0);
  if (first === 43 || first === 45) {
    const offset = parseLooseOffset(zoneText, 0);
    return offset === undefined ? undefined : wall - offset;
  }
  const upper = zoneText.slice(0, 3).toUpperCase();
  if ((upper === 'GMT' || upper === 'UTC') && zoneText.length > 3) {
    const offset = parseLooseOffset(zoneText, 3);
    return offset === undefined ? undefined : wall - offset;
  }
  if (zoneText.includes('/')) {
    let valid = zoneValidity.get(zoneText);
    if (valid === undefined) {
      valid = isValidTimeZone(zoneText);
      if (zoneValidity.size > 1000) zoneValidity.clear();
      zoneValidity.set(zoneText, valid);
    }
    return valid ? zonedTimeToUtc(zoneText, year, month0 + 1, day, hour, minute, second, millis) : undefined;
  }
  return undefined;
}

/** `+1`, `-05`, `+0530`, `+05:30` from `start` → ms east of UTC. */
function parseLooseOffset(s: string, start: number): number | undefined {
  const sign = s.charCodeAt(start) === 43 ? 1 : s.charCodeAt(start) === 45 ? -1 : 0;
  if (sign === 0) return undefined;
  const body = s.slice(start + 1);
  let hours: number;
  let minutes = 0;
  const colon = body.indexOf(':');
  if (colon !== -1) {
    if (colon < 1 || colon > 2 || body.length - colon !== 3) return undefined;
    hours = digitsAt(body, 0, colon);
    minutes = digitsAt(body, colon + 1, 2);
  } else if (body.length === 1 || body.length === 2) {
    hours = digitsAt(body, 0, body.length);
  } else if (body.length === 4) {
    hours = digitsAt(body, 0, 2);
    minutes = digitsAt(body, 2, 2);
  } else {
    return undefined;
  }
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes) * 60_000;
}

// ---------------------------------------------------------------------------------------------- DNS

const DNS_TYPES: ReadonlyMap<number, string> = new Map([
  [1, 'A'], [2, 'NS'], [5, 'CNAME'], [6, 'SOA'], [12, 'PTR'], [13, 'HINFO'], [15, 'MX'], [16, 'TXT'], [17, 'RP'],
  [18, 'AFSDB'], [24, 'SIG'], [25, 'KEY'], [28, 'AAAA'], [29, 'LOC'], [33, 'SRV'], [35, 'NAPTR'], [36, 'KX'],
  [37, 'CERT'], [39, 'DNAME'], [41, 'OPT'], [42, 'APL'], [43, 'DS'], [44, 'SSHFP'], [45, 'IPSECKEY'], [46, 'RRSIG'],
  [47, 'NSEC'], [48, 'DNSKEY'], [49, 'DHCID'], [50, 'NSEC3'], [51, 'NSEC3PARAM'], [52, 'TLSA'], [53, 'SMIMEA'],
  [55, 'HIP'], [59, 'CDS'], [60, 'CDNSKEY'], [61, 'OPENPGPKEY'], [62, 'CSYNC'], [63, 'ZONEMD'], [64, 'SVCB'],
  [65, 'HTTPS'], [99, 'SPF'], [108, 'EUI48'], [109, 'EUI64'], [249, 'TKEY'], [250, 'TSIG'], [251, 'IXFR'],
  [252, 'AXFR'], [255, 'ANY'], [256, 'URI'], [257, 'CAA'],
]);

const DNS_RCODES: readonly string[] = [
  'NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH',
  'NOTZONE', 'DSOTYPENI',
];

/** Mnemonics (A, AAAA, HTTPS, NSAP-PTR) or the generic TYPE65 form, as BIND, Unbound and dnsmasq print them. */
export const DNS_TYPE_RE = /^[A-Z][A-Z0-9-]{0,15}$/;
export const DNS_CLASS_RE = /^(?:IN|CH|HS|ANY|NONE|CLASS\d{1,5})$/;
/** NOERROR, NXDOMAIN, …, or a numeric form some servers print for codes they have no name for. */
export const DNS_RCODE_RE = /^(?:[A-Z][A-Z0-9_]{1,15}|RCODE\d{1,4})$/;

/** Numeric query type → mnemonic, or `TYPE<n>` (RFC 3597) for one without a common name. */
export function dnsTypeName(n: number): string | undefined {
  if (!Number.isInteger(n) || n < 0 || n > 65535) return undefined;
  return DNS_TYPES.get(n) ?? `TYPE${n}`;
}

/** Numeric response code → name, or `RCODE<n>`. */
export function dnsRcodeName(n: number): string | undefined {
  if (!Number.isInteger(n) || n < 0 || n > 4095) return undefined;
  return DNS_RCODES[n] ?? `RCODE${n}`;
}

/**
 * A query type as some log wrote it: a mnemonic (any case), a number, `TYPE65`, `type=65` (dnsmasq) or
 * `query-65` (Zeek's name for types it does not know). Undefined when it is none of those.
 */
export function dnsTypeFromText(s: string): string | undefined {
  if (s.length === 0) return undefined;
  if (isDigits(s)) return s.length <= 5 ? dnsTypeName(Number(s)) : undefined;
  const eq = s.startsWith('type=') ? 5 : s.startsWith('query-') ? 6 : -1;
  if (eq !== -1) {
    const num = s.slice(eq);
    return isDigits(num) && num.length <= 5 ? dnsTypeName(Number(num)) : undefined;
  }
  if (s === '*') return 'ANY';
  const upper = toUpperAscii(s);
  return DNS_TYPE_RE.test(upper) ? upper : undefined;
}

/** Response code names as DNS software prints them (Unbound/ldns says NOTIMPL for NOTIMP). */
const RCODE_NAMES: ReadonlySet<string> = new Set([
  ...DNS_RCODES, 'NOTIMPL', 'BADVERS', 'BADSIG', 'BADKEY', 'BADTIME', 'BADMODE', 'BADNAME', 'BADALG', 'BADTRUNC',
  'BADCOOKIE',
]);
const RCODE_NUMBERED_RE = /^RCODE\d{1,4}$/;

/** A response code as a known name (any case), `RCODE<n>` or a number; undefined otherwise. */
export function dnsRcodeFromText(s: string): string | undefined {
  if (s.length === 0) return undefined;
  if (isDigits(s)) return s.length <= 4 ? dnsRcodeName(Number(s)) : undefined;
  const upper = toUpperAscii(s);
  return RCODE_NAMES.has(upper) || RCODE_NUMBERED_RE.test(upper) ? upper : undefined;
}

function toUpperAscii(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) return s.toUpperCase();
  }
  return s;
}

// ----------------------------------------------------------------------------------- hosts & values

/**
 * A destination host as a log may write it: a hostname (any case, trailing dot), an IP literal, `host:port`,
 * `[v6]:port` or a URL. Host is lowercase without trailing dot; port is null when none was written.
 * Undefined when the text is none of those.
 */
export function hostAndPort(raw: string): { host: string; port: number | null } | undefined {
  const name = normalizeHostname(raw);
  if (name !== null) return { host: name, port: null };
  if (isIP(raw) === 6) return { host: raw.toLowerCase(), port: null };
  let authority = raw;
  const scheme = raw.indexOf('://');
  if (scheme > 0) {
    const start = scheme + 3;
    let end = start;
    while (end < raw.length) {
      const c = raw.charCodeAt(end);
      if (c === 47 || c === 63 || c === 35) break;
      end++;
    }
    authority = raw.slice(start, end);
  }
  const target = parseAuthority(authority, null);
  return target.host === null ? undefined : { host: target.host, port: target.port };
}

/** A TCP/UDP port 1–65535 written as digits; undefined otherwise. */
export function parsePortText(s: string): number | undefined {
  if (s.length === 0 || s.length > 5 || !isDigits(s)) return undefined;
  const n = Number(s);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/** `%XX` escapes decoded (UTF-8); the text as written when it holds a stray `%` that is not an escape. */
export function percentDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// ------------------------------------------------------------------------------------------ actions

const BLOCK_WORDS: ReadonlySet<string> = new Set([
  'block', 'blocked', 'blocking', 'deny', 'denied', 'drop', 'dropped', 'reject', 'rejected', 'reset', 'refuse',
  'refused', 'prevent', 'prevented', 'quarantine', 'quarantined', 'disallow', 'disallowed', 'sinkhole', 'sinkholed',
  'forbidden', 'blocklisted', 'blacklisted',
]);
const ALLOW_WORDS: ReadonlySet<string> = new Set([
  'allow', 'allowed', 'accept', 'accepted', 'permit', 'permitted', 'pass', 'passed', 'passthru', 'passthrough',
  'bypass', 'bypassed', 'alert', 'alerted', 'monitor', 'monitored', 'continue', 'allowlisted', 'whitelisted',
]);

/**
 * What a device's action word says happened to the request: `blocked` (block, deny, drop, reset-both,
 * TCP_DENIED, block-url …), `allowed` (allow, accept, permit, pass, alert …), or null for anything else
 * (including negations like "not allowed", which are not worth guessing at).
 */
export function actionFromWord(raw: string): EventAction | null {
  const whole = raw.toLowerCase();
  if (BLOCK_WORDS.has(whole)) return 'blocked';
  if (ALLOW_WORDS.has(whole)) return 'allowed';
  let allowed = false;
  let start = -1;
  for (let i = 0; i <= whole.length; i++) {
    const c = i < whole.length ? whole.charCodeAt(i) : 32;
    const letter = c >= 97 && c <= 122;
    if (letter && start === -1) start = i;
    else if (!letter && start !== -1) {
      const word = whole.slice(start, i);
      if (word === 'not' || word === 'no') return null;
      if (BLOCK_WORDS.has(word)) return 'blocked';
      if (ALLOW_WORDS.has(word)) allowed = true;
      start = -1;
    }
  }
  return allowed ? 'allowed' : null;
}

// --------------------------------------------------------------------------------------- scanning

export function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

export function skipBlanks(s: string, i: number): number {
  while (i < s.length && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  return i;
}

export function tokenEnd(s: string, i: number): number {
  while (i < s.length && s.charCodeAt(i) !== 32 && s.charCodeAt(i) !== 9) i++;
  return i;
}

/** True when `s` holds only ASCII hex digits (at least one). */
export function isHex(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}
