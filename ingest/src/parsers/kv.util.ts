/**
 * Key=value payloads and device timestamps shared by the CEF and LEEF parsers.
 */
import { digitsAt, isDigits, monthIndex } from './fields.util.ts';
import { epochNumberToMillis, inferYear, parseIsoMillis, wallInNamedZone, wallToUtc } from './common.util.ts';
import { readMonthDayParts, readSyslogHeader } from './syslog.util.ts';
import { slotAt, type KeySlots } from './vendor.util.ts';

/** [A-Za-z0-9_.]: CEF keys (`cs1Label`, `ad.user`); `-`, `/`, `:` are not, so URLs are never cut into keys. */
function isKeyChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46;
}

/** What a walk over a CEF extension does with each pair: key at [keyStart, keyEnd), raw value at [valueStart, valueEnd). */
interface CefPairVisitor {
  pair(text: string, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number): void;
}

/**
 * The pairs of a CEF extension written in `text` from `from` to its end, in order, to `visitor`. A value runs up to
 * the space before the next `key=`, so it may hold spaces and unescaped `=` (URLs with a query string): a pair's
 * value is known to end only when the next key is found. Returns false (before any pair is visited) when there is
 * text but no pair, or text before the first key.
 */
function walkCefPairs(text: string, from: number, visitor: CefPairVisitor): boolean {
  let keyStart = -1;
  let keyEnd = -1;
  let valueStart = from;
  let at = from;
  for (;;) {
    const eq = text.indexOf('=', at);
    if (eq === -1) break;
    at = eq + 1;
    const nextKey = cefKeyStart(text, from, eq);
    if (nextKey === -1) continue;
    const valueEnd = nextKey - 1 < from ? from : nextKey - 1;
    if (keyStart !== -1) visitor.pair(text, keyStart, keyEnd, valueStart, valueEnd);
    else if (!isBlankRange(text, from, valueEnd)) return false;
    keyStart = nextKey;
    keyEnd = eq;
    valueStart = eq + 1;
  }
  if (keyStart === -1) return isBlankRange(text, from, text.length);
  visitor.pair(text, keyStart, keyEnd, valueStart, text.length);
  return true;
}

/**
 * Where the key of the `=` at `eq` starts, or -1 when that `=` starts no pair: it is `\=`-escaped, or the word
 * before it is no key preceded by a blank (or by `from`).
 */
function cefKeyStart(text: string, from: number, eq: number): number {
  let b = eq - 1;
  while (b >= from && text.charCodeAt(b) === 92 /* \ */) b--;
  if (((eq - 1 - b) & 1) === 1) return -1;
  let s = eq - 1;
  while (s >= from && isKeyChar(text.charCodeAt(s))) s--;
  if (s === eq - 1) return -1;
  if (s >= from && text.charCodeAt(s) !== 32 && text.charCodeAt(s) !== 9) return -1;
  return s + 1;
}

/** True when `s[from, to)` is empty or all white space, as String.prototype.trim() sees it. */
function isBlankRange(s: string, from: number, to: number): boolean {
  return to <= from || s.slice(from, to).trim() === '';
}

/** Every pair, as key, value, key, value… */
class PairList implements CefPairVisitor {
  constructor(readonly out: string[]) {}

  pair(text: string, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number): void {
    this.out.push(text.slice(keyStart, keyEnd), cleanValue(text.slice(valueStart, valueEnd)));
  }
}

/**
 * The wanted pairs only, into their slots: keys nobody wants, and values after a slot is filled, cost no string.
 * One instance, set up per line (no allocation on the hot path) and cleared after it.
 */
class SlotFiller implements CefPairVisitor {
  slots: KeySlots | null = null;
  out: (string | undefined)[] = [];
  keep: (value: string) => string | undefined = (value) => value;

  pair(text: string, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number): void {
    const slot = slotAt(this.slots!, text, keyStart, keyEnd);
    if (slot === -1 || this.out[slot] !== undefined) return;
    this.out[slot] = this.keep(cleanValue(text.slice(valueStart, valueEnd)));
  }
}

const FILLER = new SlotFiller();

/**
 * The `key=value` pairs of a CEF extension, pushed into `out` as key, value, key, value… (`out` is cleared
 * first; callers reuse one array). Split as `walkCefPairs` says; values are unescaped (`\=`, `\\`, `\n`, `\r`,
 * `\|`) and trimmed. Returns false when there is text but no pair, or text before the first key.
 */
export function splitCefPairs(ext: string, out: string[]): boolean {
  out.length = 0;
  return walkCefPairs(ext, 0, new PairList(out));
}

/**
 * The pairs of a CEF extension in `text` from `from`, as `splitCefPairs` reads them, but only the wanted keys:
 * the first value of each slot that `keep` accepts (it gets the unescaped, trimmed value and returns what to store,
 * or undefined to let a later pair fill the slot) goes into `out`. Keys the parser does not want cost no string.
 * Returns false when the text is not a run of pairs.
 */
export function scanCefPairs(
  text: string, from: number, slots: KeySlots, out: (string | undefined)[], keep: (value: string) => string | undefined,
): boolean {
  FILLER.slots = slots;
  FILLER.out = out;
  FILLER.keep = keep;
  try {
    return walkCefPairs(text, from, FILLER);
  } finally {
    FILLER.out = [];
  }
}

function cleanValue(raw: string): string {
  const value = raw.trim();
  return value.includes('\\') ? unescapeCef(value) : value;
}

/** `\=` → `=`, `\\` → `\`, `\n`/`\r` → newline/CR, `\|` → `|`; any other `\x` is kept as written. */
export function unescapeCef(s: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) !== 92 || i + 1 >= s.length) continue;
    const next = s[i + 1];
    const replacement = next === '=' || next === '\\' || next === '|' ? next : next === 'n' ? '\n' : next === 'r' ? '\r' : null;
    if (replacement === null) continue;
    out += s.slice(from, i) + replacement;
    i++;
    from = i + 1;
  }
  return from === 0 ? s : out + s.slice(from);
}

/**
 * A device timestamp as CEF `rt`/`start`/`end` and LEEF `devTime` write it: epoch milliseconds (or seconds,
 * by magnitude), RFC 3339, or `MMM dd[ yyyy] HH:mm:ss[.SSS][ zone]` where zone is `UTC`, `GMT+01:00`,
 * `+0100`, a one-meaning abbreviation (`CET`, `PST`) or an IANA name. No zone: the source's `zone`; no year:
 * receivedAt's.
 */
export function parseDeviceTime(text: string, zone: string, receivedAt: Date): number | undefined {
  const s = text.trim();
  if (s.length === 0) return undefined;
  const first = s.charCodeAt(0);
  if (first >= 48 && first <= 57) {
    if (isDigits(s)) return s.length <= 20 ? epochNumberToMillis(Number(s)) : undefined;
    const dot = s.indexOf('.');
    if (dot > 0 && dot < s.length - 1 && isDigits(s.slice(0, dot)) && isDigits(s.slice(dot + 1))) {
      return s.length <= 24 ? epochNumberToMillis(Number(s)) : undefined;
    }
    return parseIsoMillis(s, zone);
  }
  const month0 = monthIndex(s.slice(0, 3));
  if (month0 === undefined || s.charCodeAt(3) !== 32) return undefined;
  const p = readMonthDayParts(s, 0, month0);
  if (p === undefined) return undefined;
  const year = p.year ?? inferYear(month0, receivedAt);
  if (year === undefined) return undefined;
  const zoneText = s.slice(p.end).trim();
  if (zoneText === '') return wallToUtc(zone, year, month0, p.day, p.hour, p.minute, p.second, p.millis);
  return wallInNamedZone(zoneText, year, month0, p.day, p.hour, p.minute, p.second, p.millis);
}

/** The time of a syslog header in front of `CEF:`/`LEEF:`, or null when there is none (or it is unreadable). */
export function headerTime(prefix: string, zone: string, receivedAt: Date): number | null {
  if (prefix.trim() === '') return null;
  const header = readSyslogHeader(prefix, zone, receivedAt);
  return typeof header === 'string' ? null : header.ms;
}

// ------------------------------------------------------------------------ Java SimpleDateFormat subset

type Step =
  | { kind: 'lit'; text: string }
  | { kind: 'num'; field: 'y' | 'M' | 'd' | 'H' | 'h' | 'k' | 'K' | 'm' | 's' | 'S'; width: number; fixed: boolean }
  | { kind: 'monthName' }
  | { kind: 'ampm' }
  | { kind: 'dayName' }
  | { kind: 'zone'; letter: 'z' | 'Z' | 'X' };

const NUMERIC_LETTERS = 'yMdHhkKmsS';
const MONTH_NAMES: readonly string[] = [
  'jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec',
];
const compiled = new Map<string, Step[] | string>();
/** The pattern compiled last: one source sends the same one on every line, and `===` is cheaper than hashing it. */
let lastPattern = '';
let lastCompiled: Step[] | string = [];

/**
 * Compiles a `java.text.SimpleDateFormat` pattern (`yyyy-MM-dd'T'HH:mm:ss.SSSZ`, `MMM dd yyyy HH:mm:ss z`)
 * into steps; a reason string for letters outside the supported subset (y M d H h k K m s S a E z Z X).
 * Cached: LEEF sends the pattern with every event.
 */
function compilePattern(pattern: string): Step[] | string {
  if (pattern === lastPattern) return lastCompiled;
  const cached = compiled.get(pattern) ?? compileSteps(pattern);
  lastPattern = pattern;
  lastCompiled = cached;
  return cached;
}

function compileSteps(pattern: string): Step[] | string {
  const steps: Step[] = [];
  let error: string | null = null;
  for (let i = 0; i < pattern.length && error === null;) {
    const ch = pattern[i] ?? '';
    if (ch === "'") {
      const close = pattern.indexOf("'", i + 1);
      if (close === -1) {
        error = 'unterminated quote in devTimeFormat';
        break;
      }
      steps.push({ kind: 'lit', text: close === i + 1 ? "'" : pattern.slice(i + 1, close) });
      i = close + 1;
      continue;
    }
    if (!isLetter(ch.charCodeAt(0))) {
      steps.push({ kind: 'lit', text: ch });
      i++;
      continue;
    }
    let j = i;
    while (pattern[j] === ch) j++;
    const width = j - i;
    if (ch === 'M' && width >= 3) steps.push({ kind: 'monthName' });
    else if (NUMERIC_LETTERS.includes(ch)) {
      steps.push({ kind: 'num', field: ch as 'y', width, fixed: false });
    } else if (ch === 'a') steps.push({ kind: 'ampm' });
    else if (ch === 'E') steps.push({ kind: 'dayName' });
    else if (ch === 'z' || ch === 'Z' || ch === 'X') steps.push({ kind: 'zone', letter: ch });
    else error = `unsupported devTimeFormat letter ${ch}`;
    i = j;
  }
  // Adjacent numeric fields (yyyyMMdd) can only be told apart by their widths.
  for (let k = 0; k + 1 < steps.length; k++) {
    const step = steps[k];
    if (step?.kind === 'num' && steps[k + 1]?.kind === 'num') step.fixed = true;
  }
  const result = error ?? steps;
  if (compiled.size > 100) compiled.clear();
  compiled.set(pattern, result);
  return result;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Letters and the dot of abbreviations (`Sept.`), as month and day names are written. */
function isWordChar(c: number): boolean {
  return isLetter(c) || c === 46;
}

/** `text` read with a SimpleDateFormat `pattern` → epoch ms; a reason string when it does not fit. */
export function parseWithJavaPattern(text: string, pattern: string, zone: string, receivedAt: Date): number | string {
  const steps = compilePattern(pattern);
  if (typeof steps === 'string') return steps;
  let year: number | undefined;
  let month0 = 0;
  let day = 1;
  let hour = 0;
  let hour12 = -1;
  let pm: boolean | null = null;
  let minute = 0;
  let second = 0;
  let millis = 0;
  let zoneText: string | null = null;
  let i = 0;
  const bad = `devTime does not match devTimeFormat ${pattern}`;
  for (const step of steps) {
    switch (step.kind) {
      case 'lit':
        if (!text.startsWith(step.text, i)) return bad;
        i += step.text.length;
        break;
      case 'num': {
        const max = step.fixed ? step.width : step.field === 'y' ? 4 : step.field === 'S' ? 9 : 2;
        const start = i;
        while (i < text.length && i - start < max && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
        const len = i - start;
        if (len === 0 || (step.fixed && len !== step.width)) return bad;
        const n = digitsAt(text, start, len);
        if (step.field === 'y') year = len <= 2 ? 2000 + n : n;
        else if (step.field === 'M') month0 = n - 1;
        else if (step.field === 'd') day = n;
        else if (step.field === 'H') hour = n;
        else if (step.field === 'k') hour = n === 24 ? 0 : n;
        else if (step.field === 'h') hour12 = n === 12 ? 0 : n;
        else if (step.field === 'K') hour12 = n;
        else if (step.field === 'm') minute = n;
        else if (step.field === 's') second = n;
        else millis = len >= 3 ? digitsAt(text, start, 3) : n * (len === 1 ? 100 : 10);
        break;
      }
      case 'monthName': {
        const idx = MONTH_NAMES.indexOf(text.slice(i, i + 3).toLowerCase());
        if (idx === -1) return bad;
        month0 = idx;
        i += 3;
        while (i < text.length && isWordChar(text.charCodeAt(i))) i++;
        break;
      }
      case 'dayName':
        if (!isWordChar(text.charCodeAt(i))) return bad;
        while (i < text.length && isWordChar(text.charCodeAt(i))) i++;
        break;
      case 'ampm': {
        const word = text.slice(i, i + 2).toUpperCase();
        if (word !== 'AM' && word !== 'PM') return bad;
        pm = word === 'PM';
        i += 2;
        break;
      }
      case 'zone': {
        const start = i;
        while (i < text.length && text.charCodeAt(i) !== 32) i++;
        zoneText = text.slice(start, i);
        if (zoneText === '') return bad;
        break;
      }
    }
  }
  if (i !== text.length) return bad;
  if (hour12 !== -1) {
    if (pm === null || hour12 > 11) return bad;
    hour = hour12 + (pm ? 12 : 0);
  }
  year ??= inferYear(month0, receivedAt);
  if (year === undefined) return bad;
  const ms = zoneText === null
    ? wallToUtc(zone, year, month0, day, hour, minute, second, millis)
    : wallInNamedZone(zoneText, year, month0, day, hour, minute, second, millis);
  return ms === undefined ? bad : ms;
}
