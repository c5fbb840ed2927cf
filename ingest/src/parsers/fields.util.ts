/**
 * Field helpers shared by the line parsers. Hot path: every function here runs once or more per log
 * line, so they scan char codes instead of compiling or running general regexes.
 * Convention: `undefined` = the field is malformed (the caller rejects the line), `null` = the log
 * says "not known" (`-`, `000`, …) and the event field stays null.
 */
import { isIP } from 'node:net';

/** C0 controls except TAB, and DEL: never in a well-formed text log line (binary junk, split records). */
export const CONTROL_CHARS_RE = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Latest instant a JS Date can hold (±8.64e15 ms). */
const MAX_DATE_MS = 8.64e15;
const MIN_YEAR = 1970;
const MAX_YEAR = 9999;

const MONTHS: ReadonlyMap<string, number> = new Map([
  ['Jan', 0], ['Feb', 1], ['Mar', 2], ['Apr', 3], ['May', 4], ['Jun', 5],
  ['Jul', 6], ['Aug', 7], ['Sep', 8], ['Oct', 9], ['Nov', 10], ['Dec', 11],
]);

const MAX_FOUR_DIGIT_YEAR_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const MILLIS_SUFFIX: readonly string[] = Array.from({ length: 1000 }, (_, i) => `.${String(i).padStart(3, '0')}Z`);
const TWO_DIGITS: readonly string[] = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
let cachedSecond = Number.NaN;
let cachedPrefix = '';
let cachedMinute = Number.NaN;
let cachedMinutePrefix = '';

/**
 * `isoMillis` (ISO-8601 UTC with milliseconds) for epoch ms, memoising the `YYYY-MM-DDTHH:MM:SS` part:
 * log lines come in time order, so consecutive lines mostly share their second, and `toISOString` was
 * the single largest cost of a squid line.
 */
export function isoTimestamp(ms: number): string {
  // Outside years 1970–9999 the ISO string changes shape (`+010000-…`); leave those to Date.
  if (!(ms >= 0 && ms <= MAX_FOUR_DIGIT_YEAR_MS)) return new Date(ms).toISOString();
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    // Lines seconds apart (sparse logs, the bench's fixtures) still share their minute: only the seconds are
    // appended, as a Date and toISOString per line cost as much as a whole CSV split.
    const minute = Math.floor(second / 60);
    if (minute !== cachedMinute) {
      cachedMinutePrefix = new Date(minute * 60_000).toISOString().slice(0, 17);
      cachedMinute = minute;
    }
    cachedPrefix = cachedMinutePrefix + TWO_DIGITS[second - minute * 60]!;
    cachedSecond = second;
  }
  return cachedPrefix + (MILLIS_SUFFIX[ms - second * 1000] ?? '.000Z');
}

/** `Nov` → 10; undefined for anything else (case-sensitive, as strftime's `%b` in the C locale writes it). */
export function monthIndex(abbr: string): number | undefined {
  return MONTHS.get(abbr);
}

/** True for a non-empty run of ASCII digits. */
export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** The unsigned integer written in `s` from `start` for `len` digits, or -1 if any char is not a digit. */
export function digitsAt(s: string, start: number, len: number): number {
  if (start + len > s.length) return -1;
  let n = 0;
  for (let i = start; i < start + len; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

function daysInMonth(year: number, month0: number): number {
  if (month0 === 1) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month0 === 3 || month0 === 5 || month0 === 8 || month0 === 10 ? 30 : 31;
}

/**
 * Epoch milliseconds of a wall-clock time read as UTC, or undefined when any part is out of range
 * (31 Feb, hour 24, …). `Date.UTC` would silently roll such values over into another date.
 */
export function utcMillis(
  year: number, month0: number, day: number, hour: number, minute: number, second: number, millis: number,
): number | undefined {
  if (year < MIN_YEAR || year > MAX_YEAR || month0 < 0 || month0 > 11) return undefined;
  if (day < 1 || day > daysInMonth(year, month0)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  if (millis < 0 || millis > 999) return undefined;
  return Date.UTC(year, month0, day, hour, minute, second, millis);
}

/** `1764064800.123` (epoch seconds, optional fraction) → epoch ms; undefined when malformed. */
export function parseEpochSeconds(s: string): number | undefined {
  const dot = s.indexOf('.');
  const whole = dot === -1 ? s : s.slice(0, dot);
  // 11 digits of seconds is year 5138: keeps the arithmetic exact and inside the Date range.
  if (whole.length > 11 || !isDigits(whole)) return undefined;
  let ms = Number(whole) * 1000;
  if (dot !== -1) {
    const frac = s.slice(dot + 1);
    if (frac.length > 9 || !isDigits(frac)) return undefined;
    ms += digitsAt(frac.length >= 3 ? frac : (frac + '00'), 0, 3);
  }
  return ms <= MAX_DATE_MS ? ms : undefined;
}

/**
 * `net.isIP`: 4, 6 or 0. Dotted-quad IPv4, by far the most common, is read by hand: `net.isIP` runs a regex per
 * call, which cost more than the rest of a field check. Same grammar as Node's: four 0–255 parts without leading
 * zeros. Every IPv6 form holds a `:`, so only those go on to `net.isIP`.
 */
export function ipVersion(s: string): 0 | 4 | 6 {
  if (isIPv4Text(s)) return 4;
  return s.includes(':') && isIP(s) === 6 ? 6 : 0;
}

function isIPv4Text(s: string): boolean {
  const n = s.length;
  if (n < 7 || n > 15) return false;
  let i = 0;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (s.charCodeAt(i) !== 46 /* . */) return false;
      i++;
    }
    const start = i;
    let value = 0;
    while (i < n && i - start < 3) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      value = value * 10 + d;
      i++;
    }
    const len = i - start;
    if (len === 0 || value > 255 || (len > 1 && s.charCodeAt(start) === 48)) return false;
  }
  return i === n;
}

/** An IP address (v4 or v6) as logged; null for `-`; undefined for anything else. */
export function parseIpField(s: string): string | null | undefined {
  if (s === '-') return null;
  return ipVersion(s) !== 0 ? s : undefined;
}

/** An IP address, or null for anything else (optional fields the log may fill with names or `-`). */
export function ipOrNull(s: string): string | null {
  return ipVersion(s) !== 0 ? s : null;
}

/** A byte count: null for `-`; undefined for negative, fractional or beyond-2^53 values. */
export function parseByteCount(s: string): number | null | undefined {
  if (s === '-') return null;
  // 15 digits stay below Number.MAX_SAFE_INTEGER (16 digits), so the value is exact.
  if (s.length > 15 || !isDigits(s)) return undefined;
  return Number(s);
}

/** An HTTP status: null for `-`, `0` or `000` (no reply was sent); undefined outside 100–999. */
export function parseHttpStatus(s: string): number | null | undefined {
  if (s === '-') return null;
  if (s.length > 3 || !isDigits(s)) return undefined;
  const n = Number(s);
  if (n === 0) return null;
  return n >= 100 ? n : undefined;
}

/**
 * A DNS-style hostname lowercased with one trailing dot removed, or null when it is not one
 * (empty, the root `.`, a label over 63 or a name over 253 chars, a char outside `[a-z0-9_-]`).
 * Underscores are allowed: they occur in real names (`_dmarc`, SRV) and are harmless downstream.
 */
export function normalizeHostname(raw: string): string | null {
  let end = raw.length;
  if (end > 0 && raw.charCodeAt(end - 1) === 46 /* . */) end--;
  if (end === 0 || end > 253) return null;
  let labelLen = 0;
  let hasUpper = false;
  for (let i = 0; i < end; i++) {
    const c = raw.charCodeAt(i);
    if (c === 46 /* . */) {
      if (labelLen === 0) return null;
      labelLen = 0;
      continue;
    }
    if (c >= 65 && c <= 90) hasUpper = true;
    else if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95)) return null;
    if (++labelLen > 63) return null;
  }
  if (labelLen === 0) return null;
  const host = end === raw.length ? raw : raw.slice(0, end);
  return hasUpper ? host.toLowerCase() : host;
}

export interface Target {
  host: string | null;
  port: number | null;
}

const NO_TARGET: Target = Object.freeze({ host: null, port: null });

const DEFAULT_PORTS: ReadonlyMap<string, number> = new Map([
  ['http', 80], ['https', 443], ['ws', 80], ['wss', 443], ['ftp', 21],
]);

function parsePort(s: string): number | undefined {
  if (s.length > 5 || !isDigits(s)) return undefined;
  const n = Number(s);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/**
 * `[userinfo@]host[:port]` → host and port. A bracketed IPv6 literal loses its brackets. An absent
 * port falls back to `defaultPort` (the scheme's, or null when the URL had no scheme). A malformed
 * authority yields no host and no port rather than a half-guess.
 */
export function parseAuthority(authority: string, defaultPort: number | null): Target {
  const at = authority.lastIndexOf('@');
  const hostPort = at === -1 ? authority : authority.slice(at + 1);
  let host: string | null;
  let portText: string | null = null;
  if (hostPort.charCodeAt(0) === 91 /* [ */) {
    const close = hostPort.indexOf(']');
    if (close === -1) return NO_TARGET;
    const literal = hostPort.slice(1, close);
    if (isIP(literal) !== 6) return NO_TARGET;
    host = literal.toLowerCase();
    if (close + 1 < hostPort.length) {
      if (hostPort.charCodeAt(close + 1) !== 58 /* : */) return NO_TARGET;
      portText = hostPort.slice(close + 2);
    }
  } else {
    const colon = hostPort.indexOf(':');
    if (colon !== -1 && hostPort.indexOf(':', colon + 1) !== -1) {
      // Unbracketed IPv6: valid only as a whole address, since a port cannot be told apart.
      return isIP(hostPort) === 6 ? { host: hostPort.toLowerCase(), port: defaultPort } : NO_TARGET;
    }
    host = normalizeHostname(colon === -1 ? hostPort : hostPort.slice(0, colon));
    if (host === null) return NO_TARGET;
    if (colon !== -1) portText = hostPort.slice(colon + 1);
  }
  // `http://h:/` is legal and means the default port.
  if (portText === null || portText === '') return { host, port: defaultPort };
  const port = parsePort(portText);
  return port === undefined ? NO_TARGET : { host, port };
}

/**
 * The destination of a request target as a proxy logs it: absolute URL (`https://h:8443/p`),
 * authority form (`h:443`, what CONNECT logs) or anything else (origin form `/p`, squid's
 * `error:invalid-request`), which names no host.
 */
export function urlTarget(url: string): Target {
  // The schemes nearly every logged URL has, recognised in place (no lowercased copy of the scheme per line).
  if (url.startsWith('https://')) return parseAuthority(url.slice(8, authorityEnd(url, 8)), 443);
  if (url.startsWith('http://')) return parseAuthority(url.slice(7, authorityEnd(url, 7)), 80);
  const sep = url.indexOf('://');
  if (sep > 0) {
    const scheme = url.slice(0, sep).toLowerCase();
    for (let i = 0; i < scheme.length; i++) {
      const c = scheme.charCodeAt(i);
      if (!((c >= 97 && c <= 122) || (i > 0 && ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46)))) {
        return NO_TARGET;
      }
    }
    const start = sep + 3;
    return parseAuthority(url.slice(start, authorityEnd(url, start)), DEFAULT_PORTS.get(scheme) ?? null);
  }
  if (url.charCodeAt(0) === 47 /* / */ || url.startsWith('error:')) return NO_TARGET;
  return parseAuthority(url.slice(0, authorityEnd(url, 0)), null);
}

function authorityEnd(url: string, start: number): number {
  for (let i = start; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) return i;
  }
  return url.length;
}
