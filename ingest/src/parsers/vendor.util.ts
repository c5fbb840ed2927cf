/**
 * Helpers shared by the vendor parsers (zscaler, panos, umbrella, proxysg, fortigate, checkpoint): quoted CSV,
 * key/value scanning, vendor timestamps. Same conventions as fields.util.ts: `undefined` = malformed (the caller
 * rejects the line), `null` = the log says "not known". Hot path: char-code scans, no per-line regexes.
 */
import { isValidTimeZone, zonedTimeToUtc } from '@shadow-ai/core';
import { digitsAt, isDigits, parseEpochSeconds, utcMillis } from './fields.util.ts';

export const UNTERMINATED_QUOTE = 'truncated line: unterminated quoted field';
export const GLUED_QUOTE = 'malformed quoted field: text right after the closing quote';

const BACKSLASH_ESCAPE_RE = /\\([\s\S])/g;
const MAX_DATE_MS = 8.64e15;

/**
 * The IANA zone a parser instance reads offset-less timestamps in; undefined for UTC (no conversion).
 * Checked once, when the parser is made: an unknown zone is a configuration error, thrown as a RangeError,
 * never a per-line failure.
 */
export function resolveTimeZone(zone: string | undefined): string | undefined {
  if (zone === undefined || zone === '' || zone === 'UTC' || zone === 'Etc/UTC') return undefined;
  if (!isValidTimeZone(zone)) throw new RangeError(`unknown time zone: ${zone}`);
  return zone;
}

/** Epoch ms of a wall-clock time in `zone` (undefined = UTC); undefined when any part is out of range. */
export function wallClockMillis(
  zone: string | undefined, year: number, month0: number, day: number, hour: number, minute: number, second: number,
  millis: number,
): number | undefined {
  const wall = utcMillis(year, month0, day, hour, minute, second, millis);
  if (wall === undefined || zone === undefined) return wall;
  return zonedTimeToUtc(zone, year, month0 + 1, day, hour, minute, second, millis);
}

/**
 * `±HH:MM`, `±HHMM` or `±HH` → offset east of UTC in minutes; undefined for anything else.
 * `Z` is handled by the callers that accept it.
 */
export function parseUtcOffset(s: string): number | undefined {
  const sign = s.charCodeAt(0) === 43 /* + */ ? 1 : s.charCodeAt(0) === 45 /* - */ ? -1 : 0;
  if (sign === 0) return undefined;
  let h: number;
  let m = 0;
  if (s.length === 3) {
    h = digitsAt(s, 1, 2);
  } else if (s.length === 5) {
    h = digitsAt(s, 1, 2);
    m = digitsAt(s, 3, 2);
  } else if (s.length === 6 && s[3] === ':') {
    h = digitsAt(s, 1, 2);
    m = digitsAt(s, 4, 2);
  } else {
    return undefined;
  }
  if (h < 0 || h > 23 || m < 0 || m > 59) return undefined;
  return sign * (h * 60 + m);
}

/**
 * `YYYY-MM-DD HH:MM:SS[.fff…][Z|±HH:MM|±HHMM]` → epoch ms. Also accepts `/` as the date separator (PAN-OS),
 * `T` between date and time (ISO 8601) and one blank before the offset. Without an offset the time is
 * wall-clock time in `zone` (undefined = UTC). Fractions past milliseconds are truncated.
 */
export function parseDateTime(s: string, zone: string | undefined): number | undefined {
  if (s.length < 19) return undefined;
  const dateSep = s[4];
  if ((dateSep !== '-' && dateSep !== '/') || s[7] !== dateSep) return undefined;
  if ((s[10] !== ' ' && s[10] !== 'T') || s[13] !== ':' || s[16] !== ':') return undefined;
  let pos = 19;
  let millis = 0;
  if (s[19] === '.' || s[19] === ',') {
    let end = 20;
    while (end < s.length && end < 29) {
      const c = s.charCodeAt(end);
      if (c < 48 || c > 57) break;
      end++;
    }
    if (end === 20) return undefined;
    millis = digitsAt(end - 20 >= 3 ? s : `${s.slice(0, end)}00`, 20, 3);
    pos = end;
  }
  const year = digitsAt(s, 0, 4);
  const month0 = digitsAt(s, 5, 2) - 1;
  const day = digitsAt(s, 8, 2);
  const hour = digitsAt(s, 11, 2);
  const minute = digitsAt(s, 14, 2);
  const second = digitsAt(s, 17, 2);
  if (pos === s.length) return wallClockMillis(zone, year, month0, day, hour, minute, second, millis);
  let rest = s.slice(pos);
  if (rest.charCodeAt(0) === 32) rest = rest.slice(1);
  const wall = utcMillis(year, month0, day, hour, minute, second, millis);
  if (wall === undefined) return undefined;
  if (rest === 'Z' || rest === 'z') return wall;
  const offset = parseUtcOffset(rest);
  return offset === undefined ? undefined : wall - offset * 60_000;
}

/**
 * An epoch timestamp whose unit is told by its digit count, as firewalls write them: seconds (≤ 10 digits,
 * optionally with a `.fraction`), milliseconds (13), microseconds (16) or nanoseconds (19).
 */
export function parseEpochAuto(s: string): number | undefined {
  if (s.includes('.')) return parseEpochSeconds(s);
  if (!isDigits(s)) return undefined;
  let ms: number;
  if (s.length <= 10) ms = Number(s) * 1000;
  else if (s.length >= 12 && s.length <= 13) ms = Number(s);
  else if (s.length >= 15 && s.length <= 16) ms = Number(s.slice(0, -3));
  else if (s.length >= 18 && s.length <= 19) ms = Number(s.slice(0, -6));
  else return undefined;
  return ms <= MAX_DATE_MS ? ms : undefined;
}

/** `''` and `-` (the usual "no value" marks) → null; anything else as logged. */
export function textOrNull(s: string | undefined): string | null {
  return s === undefined || s === '' || s === '-' ? null : s;
}

/** A TCP/UDP port 1–65535; null for empty, `-` or 0 (no port); undefined for anything else. */
export function parsePortField(s: string | undefined): number | null | undefined {
  if (s === undefined || s === '' || s === '-' || s === '0') return null;
  if (s.length > 5 || !isDigits(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** Where `splitCsv` stopped when it hit its field limit: the index just past the last separator it read. */
export interface CsvStop {
  at: number;
}

/**
 * One line of RFC 4180-style CSV from `start`: fields separated by `sep`, optionally in double quotes with `""`
 * for a quote. Spaces before an opening quote and after a closing quote are ignored (some exports write
 * `"a", "b"`); unquoted fields are kept as they are. Stops after `max` fields, recording in `stop` where the rest
 * of the line begins (-1 when the whole line was read). Returns the reason when a quoted field is malformed.
 */
export function splitCsv(line: string, start: number, sep: string, max = Infinity, stop?: CsvStop): string[] | string {
  const out: string[] = [];
  const n = line.length;
  const sepCode = sep.charCodeAt(0);
  if (stop !== undefined) stop.at = -1;
  let i = start;
  for (;;) {
    if (out.length >= max) {
      if (stop !== undefined) stop.at = i;
      return out;
    }
    let j = i;
    while (j < n && line.charCodeAt(j) === 32) j++;
    if (j < n && line.charCodeAt(j) === 34 /* " */) {
      let value = '';
      let chunk = j + 1;
      let k = chunk;
      for (;;) {
        const q = line.indexOf('"', k);
        if (q === -1) return UNTERMINATED_QUOTE;
        if (line.charCodeAt(q + 1) === 34) {
          value += line.slice(chunk, q + 1);
          k = q + 2;
          chunk = k;
          continue;
        }
        value += line.slice(chunk, q);
        k = q + 1;
        break;
      }
      while (k < n && line.charCodeAt(k) === 32) k++;
      out.push(value);
      if (k >= n) return out;
      if (line.charCodeAt(k) !== sepCode) return GLUED_QUOTE;
      i = k + 1;
    } else {
      const end = line.indexOf(sep, i);
      if (end === -1) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, end));
      i = end + 1;
    }
  }
}

/**
 * The keys a parser wants from a key/value line and the slot each value goes to. Keys are matched by a hash of
 * their chars, checked against the key text, so the dozens of keys a line carries that the parser does not want
 * are skipped without a string being cut out for them.
 */
export interface KeySlots {
  readonly keys: readonly string[];
  readonly byHash: ReadonlyMap<number, number>;
  /** 1 where some wanted key's hash has these low bits: most unwanted keys are turned away without a map lookup. */
  readonly filter: Uint8Array;
}

const FILTER_MASK = 1023;

/** Kept within V8's small-integer range so the map lookup never boxes a number. */
const HASH_MASK = 0x3fffffff;

function hashRange(s: string, from: number, to: number): number {
  let h = 0;
  for (let i = from; i < to; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) & HASH_MASK;
  return h;
}

export function keySlots(keys: readonly string[]): KeySlots {
  const byHash = new Map<number, number>();
  const filter = new Uint8Array(FILTER_MASK + 1);
  keys.forEach((key, slot) => {
    const h = hashRange(key, 0, key.length);
    if (byHash.has(h)) throw new Error(`key hash collision: ${key} and ${keys[byHash.get(h)!]}`);
    byHash.set(h, slot);
    filter[h & FILTER_MASK] = 1;
  });
  return { keys, byHash, filter };
}

/** The slot of the wanted key at line[from, to), or -1. */
function slotOf(slots: KeySlots, line: string, from: number, to: number, hash: number): number {
  if (slots.filter[hash & FILTER_MASK] === 0) return -1;
  const slot = slots.byHash.get(hash);
  if (slot === undefined) return -1;
  const key = slots.keys[slot]!;
  return key.length === to - from && line.startsWith(key, from) ? slot : -1;
}

/**
 * The closing quote of a value opened at `open`: the next `"` not escaped by an odd run of backslashes;
 * -1 when unterminated.
 */
function closingQuote(line: string, open: number): number {
  let q = line.indexOf('"', open + 1);
  while (q !== -1) {
    let backslashes = 0;
    for (let b = q - 1; b > open && line.charCodeAt(b) === 92 /* \ */; b--) backslashes++;
    if ((backslashes & 1) === 0) return q;
    q = line.indexOf('"', q + 1);
  }
  return -1;
}

function quotedValue(line: string, open: number, close: number): string {
  const raw = line.slice(open + 1, close);
  return raw.includes('\\') ? raw.replace(BACKSLASH_ESCAPE_RE, '$1') : raw;
}

/**
 * `key=value key="quoted value" …` (FortiOS) from `start` to the end of the line. The value of each wanted key
 * is stored at its slot in `out`; other values are skipped without being copied. Returns the reason when the
 * text is not a run of such pairs.
 */
export function scanKeyValues(
  line: string, start: number, slots: KeySlots, out: (string | undefined)[],
): string | undefined {
  const n = line.length;
  let i = start;
  while (i < n) {
    if (isBlank(line.charCodeAt(i))) {
      i++;
      continue;
    }
    let eq = i;
    let h = 0;
    while (eq < n) {
      const c = line.charCodeAt(eq);
      if (c === 61 /* = */ || isBlank(c)) break;
      h = (Math.imul(h, 31) + c) & HASH_MASK;
      eq++;
    }
    if (eq >= n || line.charCodeAt(eq) !== 61) return 'malformed key=value pair: text without "="';
    if (eq === i) return 'malformed key=value pair: empty key';
    const slot = slotOf(slots, line, i, eq, h);
    if (line.charCodeAt(eq + 1) === 34) {
      const close = closingQuote(line, eq + 1);
      if (close === -1) return UNTERMINATED_QUOTE;
      if (close + 1 < n && !isBlank(line.charCodeAt(close + 1))) return GLUED_QUOTE;
      if (slot !== -1) out[slot] = quotedValue(line, eq + 1, close);
      i = close + 1;
    } else {
      // Bare values end at a space (FortiOS never separates with tabs): a native search beats a char loop.
      let end = line.indexOf(' ', eq + 1);
      if (end === -1) end = n;
      if (slot !== -1) out[slot] = line.slice(eq + 1, end);
      i = end;
    }
  }
  return undefined;
}

/**
 * `key:"value"; key:"value"` (Check Point Log Exporter) from `start`. With `bracketed`, the pairs end at a
 * `]` outside quotes, which must be there; without, at the end of the line. Values may also be bare (up to
 * the next `;`). Returns the reason when malformed.
 */
export function scanColonPairs(
  line: string, start: number, bracketed: boolean, slots: KeySlots, out: (string | undefined)[],
): string | undefined {
  const n = line.length;
  let i = start;
  for (;;) {
    while (i < n) {
      const c = line.charCodeAt(i);
      if (!isBlank(c) && c !== 59 /* ; */) break;
      i++;
    }
    if (i >= n) return bracketed ? 'truncated line: no closing ] after the key:value pairs' : undefined;
    if (line.charCodeAt(i) === 93 /* ] */) return bracketed ? undefined : 'malformed key:value pair: unexpected ]';
    let colon = i;
    let h = 0;
    while (colon < n) {
      const c = line.charCodeAt(colon);
      if (c === 58 /* : */ || c === 59 || c === 93 || c === 34) break;
      h = (Math.imul(h, 31) + c) & HASH_MASK;
      colon++;
    }
    if (colon >= n || line.charCodeAt(colon) !== 58) return 'malformed key:value pair: text without ":"';
    let keyEnd = colon;
    while (keyEnd > i && isBlank(line.charCodeAt(keyEnd - 1))) keyEnd--;
    if (keyEnd === i) return 'malformed key:value pair: empty key';
    // `key :` is rare: only then is the hash taken again without the blanks.
    if (keyEnd !== colon) h = hashRange(line, i, keyEnd);
    const slot = slotOf(slots, line, i, keyEnd, h);
    let v = colon + 1;
    while (v < n && isBlank(line.charCodeAt(v))) v++;
    if (line.charCodeAt(v) === 34) {
      const close = closingQuote(line, v);
      if (close === -1) return UNTERMINATED_QUOTE;
      if (slot !== -1) out[slot] = quotedValue(line, v, close);
      i = close + 1;
      while (i < n && isBlank(line.charCodeAt(i))) i++;
      if (i < n) {
        const c = line.charCodeAt(i);
        if (c !== 59 && c !== 93) return GLUED_QUOTE;
      }
    } else {
      let end = v;
      while (end < n) {
        const c = line.charCodeAt(end);
        if (c === 59 || (bracketed && c === 93)) break;
        end++;
      }
      if (slot !== -1) out[slot] = line.slice(v, end).trim();
      i = end;
    }
  }
}
