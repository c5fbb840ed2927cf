/**
 * Syslog envelopes in front of DNS server and CEF/LEEF lines:
 * - RFC 3164: `[<PRI>]Mmm dd HH:MM:SS[.fff] [HOST ]TAG[PID]: MSG` — no year (taken from receivedAt) and no
 *   zone (read in the source's time zone); some devices add the year (`Mmm dd yyyy HH:MM:SS`).
 * - RFC 3339 timestamps as rsyslog writes them: `2026-11-25T10:00:00.123456+01:00 HOST TAG: MSG`.
 * - RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD|-] MSG`.
 */
import { digitsAt, monthIndex } from './fields.util.ts';
import { inferYear, parseIsoMillis, tokenEnd, wallToUtc } from './common.util.ts';

/** A timestamp read at some position: its epoch ms and where it ends. */
export interface TimeRead {
  ms: number;
  end: number;
}

/** After a `<PRI>` tag (1–3 digits), or 0 when the line has none. */
export function skipPri(line: string): number {
  if (line.charCodeAt(0) !== 60 /* < */) return 0;
  const close = line.indexOf('>', 1);
  if (close < 2 || close > 4) return 0;
  for (let i = 1; i < close; i++) {
    const c = line.charCodeAt(i);
    if (c < 48 || c > 57) return 0;
  }
  return close + 1;
}

/**
 * The timestamp at `pos`: RFC 3164 (`Nov 25 10:00:00`, `Nov  5 10:00:00.123`, `Nov 25 2026 10:00:00`) or
 * RFC 3339. Null when the text there does not look like a timestamp at all; a reason when it does but is
 * invalid.
 */
export function readSyslogTime(line: string, pos: number, zone: string, receivedAt: Date): TimeRead | string | null {
  const first = line.charCodeAt(pos);
  if (first >= 48 && first <= 57) {
    if (line.charCodeAt(pos + 4) !== 45 /* - */) return null;
    const end = tokenEnd(line, pos);
    const ms = parseIsoMillis(line.slice(pos, end), zone);
    return ms === undefined ? 'bad timestamp: expected RFC 3339 like 2026-11-25T10:00:00.123+01:00' : { ms, end };
  }
  const month0 = monthIndex(line.slice(pos, pos + 3));
  if (month0 === undefined || line.charCodeAt(pos + 3) !== 32) return null;
  return readMonthDayTime(line, pos, month0, zone, receivedAt, 'bad timestamp: expected Mmm dd HH:MM:SS');
}

/** The fields of `Mmm dd[ yyyy] HH:MM:SS[.fff]`; year undefined when the text has none. */
export interface MonthDayParts {
  year: number | undefined;
  month0: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millis: number;
  end: number;
}

/**
 * `Mmm dd[ yyyy] HH:MM:SS[.fff]` at `pos` (the month, already checked, is `month0`); the day may be
 * space-padded (`Nov  5`). Range checks are left to the conversion. Undefined when malformed.
 */
export function readMonthDayParts(line: string, pos: number, month0: number): MonthDayParts | undefined {
  let i = pos + 4;
  if (line.charCodeAt(i) === 32) i++;
  const dayStart = i;
  while (i < line.length && i - dayStart < 3 && line.charCodeAt(i) >= 48 && line.charCodeAt(i) <= 57) i++;
  const dayLen = i - dayStart;
  if (dayLen < 1 || dayLen > 2 || line.charCodeAt(i) !== 32) return undefined;
  const day = digitsAt(line, dayStart, dayLen);
  i++;
  let year: number | undefined;
  if (line.charCodeAt(i + 4) === 32 && line.charCodeAt(i + 2) !== 58) {
    year = digitsAt(line, i, 4);
    if (year < 0) return undefined;
    i += 5;
  }
  if (line.charCodeAt(i + 2) !== 58 || line.charCodeAt(i + 5) !== 58) return undefined;
  const hour = digitsAt(line, i, 2);
  const minute = digitsAt(line, i + 3, 2);
  const second = digitsAt(line, i + 6, 2);
  if (hour < 0 || minute < 0 || second < 0) return undefined;
  i += 8;
  let millis = 0;
  if (line.charCodeAt(i) === 46 /* . */) {
    const start = ++i;
    while (i < line.length && line.charCodeAt(i) >= 48 && line.charCodeAt(i) <= 57) i++;
    const n = i - start;
    if (n === 0 || n > 9) return undefined;
    millis = n >= 3 ? digitsAt(line, start, 3) : digitsAt(line, start, n) * (n === 1 ? 100 : 10);
  }
  if (i < line.length && line.charCodeAt(i) !== 32 && line.charCodeAt(i) !== 9) return undefined;
  return { year, month0, day, hour, minute, second, millis, end: i };
}

/**
 * `Mmm dd[ yyyy] HH:MM:SS[.fff]` at `pos` (month already known), read in `zone`. The year, when absent,
 * comes from receivedAt.
 */
export function readMonthDayTime(
  line: string, pos: number, month0: number, zone: string, receivedAt: Date, reason: string,
): TimeRead | string {
  const p = readMonthDayParts(line, pos, month0);
  if (p === undefined) return reason;
  const year = p.year ?? inferYear(month0, receivedAt);
  if (year === undefined) return 'no year in the timestamp and receivedAt is not a valid date';
  const ms = wallToUtc(zone, year, month0, p.day, p.hour, p.minute, p.second, p.millis);
  return ms === undefined ? reason : { ms, end: p.end };
}

/** The parts of a syslog envelope a parser needs. */
export interface SyslogHeader {
  /** null: the line has no timestamp in front */
  ms: number | null;
  /** RFC 5424 APP-NAME, when the envelope is RFC 5424 */
  app: string | null;
  /** where the message (or, for RFC 3164, the HOST/TAG part) starts */
  pos: number;
  rfc5424: boolean;
}

/**
 * `<PRI>` and timestamp (RFC 3164/3339), or a whole RFC 5424 header. A reason string when a header is
 * there but malformed.
 */
export function readSyslogHeader(line: string, zone: string, receivedAt: Date): SyslogHeader | string {
  const pos = skipPri(line);
  if (pos > 0 && line.charCodeAt(pos) === 49 /* 1 */ && line.charCodeAt(pos + 1) === 32) {
    return readRfc5424(line, pos + 2, zone);
  }
  const time = readSyslogTime(line, pos, zone, receivedAt);
  if (time === null) return { ms: null, app: null, pos, rfc5424: false };
  if (typeof time === 'string') return time;
  let next = time.end;
  while (line.charCodeAt(next) === 32) next++;
  return { ms: time.ms, app: null, pos: next, rfc5424: false };
}

function readRfc5424(line: string, pos: number, zone: string): SyslogHeader | string {
  const parts: string[] = [];
  let i = pos;
  for (let n = 0; n < 5; n++) {
    const end = tokenEnd(line, i);
    if (end === i) return 'truncated RFC 5424 header';
    parts.push(line.slice(i, end));
    i = end + 1;
  }
  const [stamp = '', , app = ''] = parts;
  // STRUCTURED-DATA: `-` or one or more `[id k="v" …]` elements, where `\]` does not close one.
  if (line.charCodeAt(i) === 91 /* [ */) {
    while (line.charCodeAt(i) === 91) {
      let j = i + 1;
      let quoted = false;
      for (; j < line.length; j++) {
        const c = line.charCodeAt(j);
        if (c === 92 /* \ */) j++;
        else if (c === 34) quoted = !quoted;
        else if (c === 93 && !quoted) break;
      }
      if (j >= line.length) return 'truncated RFC 5424 structured data';
      i = j + 1;
    }
  } else if (line.charCodeAt(i) === 45 /* - */) {
    i++;
  } else {
    return 'bad RFC 5424 header: expected structured data or -';
  }
  if (i < line.length) {
    if (line.charCodeAt(i) !== 32) return 'bad RFC 5424 header: expected a space after the structured data';
    i++;
  }
  let ms: number | null = null;
  if (stamp !== '-') {
    const parsedMs = parseIsoMillis(stamp, zone);
    if (parsedMs === undefined) return 'bad timestamp: expected RFC 3339 in the RFC 5424 header';
    ms = parsedMs;
  }
  return { ms, app: app === '-' ? null : app, pos: i, rfc5424: true };
}

/** A syslog TAG (`name[pid]:` or `name:`) at `pos`: the program name and where the message starts. */
export function readTag(line: string, pos: number): { app: string; end: number } | null {
  const end = tokenEnd(line, pos);
  if (end - pos < 2 || line.charCodeAt(end - 1) !== 58 /* : */) return null;
  const bracket = line.indexOf('[', pos);
  const app = bracket !== -1 && bracket < end ? line.slice(pos, bracket) : line.slice(pos, end - 1);
  if (app.length === 0) return null;
  let next = end;
  while (line.charCodeAt(next) === 32) next++;
  return { app, end: next };
}
