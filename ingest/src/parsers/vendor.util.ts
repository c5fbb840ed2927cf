/**
 * Helpers shared by the vendor parsers (zscaler, panos, umbrella, proxysg, fortigate, checkpoint): quoted CSV,
 * key/value scanning, vendor timestamps. Same conventions as fields.util.ts: `undefined` = malformed (the caller
 * rejects the line), `null` = the log says "not known". Hot path: char-code scans, no per-line regexes.
 */
import { isValidTimeZone, zonedTimeToUtc, type ParseContext, type ParseResult, type ParserFactory } from '@shadow-ai/core';
import { zonedParserFactory } from './common.util.ts';
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

/**
 * The factory of a vendor parser that reads one line's values into `values`: the zone as `resolveTimeZone` says
 * (so an unknown one throws a RangeError when the parser is made), the values released after every line.
 */
export function vendorParserFactory(
  read: (line: string, ctx: ParseContext, zone: string | undefined) => ParseResult, values: { release(): void },
): ParserFactory {
  return zonedParserFactory((opts) => resolveTimeZone(opts?.timeZone), read, () => values.release());
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
  // The digits are read in place: at most 13 of them are kept, well inside exact integer range.
  let ms: number;
  if (s.length <= 10) ms = digitsAt(s, 0, s.length) * 1000;
  else if (s.length >= 12 && s.length <= 13) ms = digitsAt(s, 0, s.length);
  else if (s.length >= 15 && s.length <= 16) ms = digitsAt(s, 0, s.length - 3);
  else if (s.length >= 18 && s.length <= 19) ms = digitsAt(s, 0, s.length - 6);
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
  const fields = new CsvFields();
  const bad = indexCsv(line, start, sep, max, fields);
  if (bad !== undefined) return bad;
  if (stop !== undefined) stop.at = fields.stop;
  const out: string[] = [];
  for (let i = 0; i < fields.count; i++) out.push(fields.text(i)!);
  return out;
}

/**
 * Where each field of one CSV line lies, as `indexCsv` found it: positions only, so the dozens of columns a
 * vendor line carries that a parser never reads cost no string. Reused from line to line by one parser
 * (parsing is synchronous and never re-entered).
 */
export class CsvFields {
  line = '';
  count = 0;
  /** The index just past the last separator read when `max` fields were reached; -1 when the line was read to its end. */
  stop = -1;
  /** Field i is line[starts[i], ends[i]) (inside the quotes when quoted). */
  starts = new Int32Array(64);
  ends = new Int32Array(64);
  /** 1 when field i holds `""` escapes, which text() turns into quotes. */
  escaped = new Uint8Array(64);

  push(from: number, to: number, escaped: boolean): void {
    if (this.count === this.starts.length) {
      const starts = new Int32Array(this.count * 2);
      const ends = new Int32Array(this.count * 2);
      const escaped = new Uint8Array(this.count * 2);
      starts.set(this.starts);
      ends.set(this.ends);
      escaped.set(this.escaped);
      this.starts = starts;
      this.ends = ends;
      this.escaped = escaped;
    }
    this.starts[this.count] = from;
    this.ends[this.count] = to;
    this.escaped[this.count] = escaped ? 1 : 0;
    this.count++;
  }

  /**
   * Drops the line once it is parsed: the instance lives as long as the module, and the line (or the whole
   * body it is a view into) must not.
   */
  release(): void {
    this.line = '';
  }

  /** Field i as text; undefined past the last field. */
  text(i: number): string | undefined {
    if (i >= this.count) return undefined;
    const raw = this.line.slice(this.starts[i], this.ends[i]);
    return this.escaped[i] === 1 ? raw.replaceAll('""', '"') : raw;
  }

  /** The length of field i as written (escapes counted twice); -1 past the last field. */
  rawLength(i: number): number {
    return i < this.count ? this.ends[i]! - this.starts[i]! : -1;
  }

  /** True when field i is exactly `s`, compared in place. */
  is(i: number, s: string): boolean {
    if (i >= this.count) return false;
    if (this.escaped[i] === 1) return this.text(i) === s;
    const from = this.starts[i]!;
    return this.ends[i]! - from === s.length && this.line.startsWith(s, from);
  }
}

/**
 * The same reading as `splitCsv`, into `out` (positions, no strings). Returns the reason when a quoted field is
 * malformed.
 */
export function indexCsv(line: string, start: number, sep: string, max: number, out: CsvFields): string | undefined {
  out.line = line;
  out.count = 0;
  out.stop = -1;
  const n = line.length;
  const sepCode = sep.charCodeAt(0);
  let i = start;
  for (;;) {
    if (out.count >= max) {
      out.stop = i;
      return undefined;
    }
    let j = i;
    while (j < n && line.charCodeAt(j) === 32) j++;
    if (j < n && line.charCodeAt(j) === 34 /* " */) {
      let k = j + 1;
      let escaped = false;
      let close: number;
      for (;;) {
        const q = line.indexOf('"', k);
        if (q === -1) return UNTERMINATED_QUOTE;
        if (line.charCodeAt(q + 1) === 34) {
          escaped = true;
          k = q + 2;
          continue;
        }
        close = q;
        k = q + 1;
        break;
      }
      out.push(j + 1, close, escaped);
      while (k < n && line.charCodeAt(k) === 32) k++;
      if (k >= n) return undefined;
      if (line.charCodeAt(k) !== sepCode) return GLUED_QUOTE;
      i = k + 1;
    } else {
      const end = line.indexOf(sep, i);
      if (end === -1) {
        out.push(i, n, false);
        return undefined;
      }
      out.push(i, end, false);
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
  /** How many slots: one per key. */
  readonly size: number;
  /** Every name recognised: the keys, then the aliases. */
  readonly names: readonly string[];
  /** The slot of each name: a key's own index, or the index of the key an alias stands for. */
  readonly slotOfName: readonly number[];
  /**
   * Index + 1 of the name whose hash has these low bits (`hash & mask`), 0 for none: sized so that no two names
   * share an entry, so one typed-array read turns away the dozens of unwanted keys and finds the wanted ones.
   */
  readonly table: Uint16Array;
  readonly mask: number;
}

/** Kept within V8's small-integer range so the hash is never boxed. */
const HASH_MASK = 0x3fffffff;
const MAX_TABLE = 1 << 16;

function hashRange(s: string, from: number, to: number): number {
  let h = 0;
  for (let i = from; i < to; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) & HASH_MASK;
  return h;
}

/** Slots for `keys` (slot i for keys[i]); each alias (another name a producer writes) fills its key's slot. */
export function keySlots(keys: readonly string[], aliases: ReadonlyMap<string, string> = new Map()): KeySlots {
  const names = [...keys];
  const slotOfName = keys.map((_, i) => i);
  for (const [alias, key] of aliases) {
    const slot = keys.indexOf(key);
    if (slot === -1) throw new Error(`alias ${alias} names no key: ${key}`);
    names.push(alias);
    slotOfName.push(slot);
  }
  const hashes = names.map((name) => hashRange(name, 0, name.length));
  for (let size = 1024; size <= MAX_TABLE; size *= 2) {
    const table = new Uint16Array(size);
    const mask = size - 1;
    let index = 0;
    for (; index < hashes.length; index++) {
      const at = hashes[index]! & mask;
      if (table[at] !== 0) break;
      table[at] = index + 1;
    }
    if (index === hashes.length) return { size: keys.length, names, slotOfName, table, mask };
  }
  throw new Error(`key hash collision among ${names.join(', ')}`);
}

/** The slot of the wanted key at line[from, to), or -1. */
function slotOf(slots: KeySlots, line: string, from: number, to: number, hash: number): number {
  const entry = slots.table[hash & slots.mask]!;
  if (entry === 0) return -1;
  const name = slots.names[entry - 1]!;
  return name.length === to - from && line.startsWith(name, from) ? slots.slotOfName[entry - 1]! : -1;
}

/** The slot of the key written at line[from, to), or -1 when the parser does not want it. */
export function slotAt(slots: KeySlots, line: string, from: number, to: number): number {
  return slotOf(slots, line, from, to, hashRange(line, from, to));
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

const ESCAPED = 1;
const TRIMMED = 2;

/**
 * The values a key/value scan found, by slot, as positions in the line: a value is cut out (and unescaped) only
 * when the parser reads it, so values of keys a log type does not use, and the stores of fresh strings into a
 * long-lived array, cost nothing. Reused from line to line by one parser (parsing is synchronous).
 */
export class SlotValues {
  line = '';
  /** Start of each slot's value, -1 when the line has none. */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** ESCAPED: a quoted value whose backslash escapes text() undoes; TRIMMED: a bare value text() trims. */
  readonly flags: Uint8Array;

  constructor(size: number) {
    this.starts = new Int32Array(size).fill(-1);
    this.ends = new Int32Array(size);
    this.flags = new Uint8Array(size);
  }

  reset(line: string): void {
    this.line = line;
    this.starts.fill(-1);
  }

  /**
   * Drops the line once it is parsed: the instance lives as long as the module, and the line (or the whole
   * body it is a view into) must not.
   */
  release(): void {
    this.line = '';
  }

  set(slot: number, from: number, to: number, flags: number): void {
    this.starts[slot] = from;
    this.ends[slot] = to;
    this.flags[slot] = flags;
  }

  /** The value of `slot` as the log means it; undefined when the line has none. */
  text(slot: number): string | undefined {
    const from = this.starts[slot]!;
    if (from === -1) return undefined;
    const raw = this.line.slice(from, this.ends[slot]);
    const flags = this.flags[slot]!;
    if (flags === 0) return raw;
    if (flags === TRIMMED) return raw.trim();
    return raw.includes('\\') ? raw.replace(BACKSLASH_ESCAPE_RE, '$1') : raw;
  }
}

/** Copies what a scan found into `out`, for the callers that want the values as an array. */
function copySlotValues(values: SlotValues, out: (string | undefined)[]): void {
  for (let slot = 0; slot < values.starts.length; slot++) {
    if (values.starts[slot] !== -1) out[slot] = values.text(slot);
  }
}

/**
 * `key=value key="quoted value" …` (FortiOS) from `start` to the end of the line. The value of each wanted key
 * is stored at its slot in `out`; other values are skipped without being copied. Returns the reason when the
 * text is not a run of such pairs.
 */
export function scanKeyValues(
  line: string, start: number, slots: KeySlots, out: (string | undefined)[],
): string | undefined {
  const values = new SlotValues(slots.size);
  values.reset(line);
  const bad = scanKeyValueSlots(line, start, slots, values);
  if (bad === undefined) copySlotValues(values, out);
  return bad;
}

/** `scanKeyValues` into positions (see SlotValues); `values` must have been reset to `line`. */
export function scanKeyValueSlots(line: string, start: number, slots: KeySlots, values: SlotValues): string | undefined {
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
      if (slot !== -1) values.set(slot, eq + 2, close, ESCAPED);
      i = close + 1;
    } else {
      // Bare values end at a space (FortiOS never separates with tabs): a native search beats a char loop.
      let end = line.indexOf(' ', eq + 1);
      if (end === -1) end = n;
      if (slot !== -1) values.set(slot, eq + 1, end, 0);
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
  const values = new SlotValues(slots.size);
  values.reset(line);
  const bad = scanColonPairSlots(line, start, bracketed, slots, values);
  if (bad === undefined) copySlotValues(values, out);
  return bad;
}

/** `scanColonPairs` into positions (see SlotValues); `values` must have been reset to `line`. */
export function scanColonPairSlots(
  line: string, start: number, bracketed: boolean, slots: KeySlots, values: SlotValues,
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
      if (slot !== -1) values.set(slot, v + 1, close, ESCAPED);
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
      if (slot !== -1) values.set(slot, v, end, TRIMMED);
      i = end;
    }
  }
}
