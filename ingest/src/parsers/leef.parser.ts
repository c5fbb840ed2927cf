/**
 * IBM QRadar Log Event Extended Format, with or without a syslog header in front:
 *   LEEF 1.0: `LEEF:1.0|Vendor|Product|Version|EventID|key=value<TAB>key=value…`
 *   LEEF 2.0: `LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|key=value<D>key=value…`
 * The 2.0 delimiter is one character or its hex code (`x5E`, `0x09`); empty means TAB. LEEF has no escaping:
 * a piece between delimiters without `=` belongs to the value before it. Producers that separate 1.0
 * attributes with spaces instead of tabs are read like CEF extensions.
 *
 * Mapped keys: `devTime` (+ `devTimeFormat`, a Java SimpleDateFormat pattern; without it epoch ms,
 * `MMM dd yyyy HH:mm:ss[.SSS][ zone]` or ISO 8601; else the syslog header time, else receivedAt) → ts;
 * `src` → srcIp; `dst` → destIp; `dstPort` → destPort (else the URL's); `usrName` → user; `url` → url and
 * host (`dhost` wins for host); `action` → action (block/deny… → blocked, allow/permit… → allowed);
 * `bytesOut` (client→server) / `bytesIn` → bytes; `userAgent`, `method` when a producer sends them.
 * kind: `dns` when `proto` is DNS, `proxy` with a URL (or method/user agent), else `flow`. No status key.
 */
import { emptyEvent, parsed, rejected, type EventKind, type ParseContext, type ParseResult, type ParserFactory } from '@shadow-ai/core';
import { CONTROL_CHARS_RE, isoTimestamp, urlTarget } from './fields.util.ts';
import {
  actionFromWord, hostAndPort, parsePortText, readFlowFields, receivedTs, resolveTimeZone, zonedParserFactory,
  type FlowFieldRules,
} from './common.util.ts';
import { headerTime, parseDeviceTime, parseWithJavaPattern, scanCefPairs } from './kv.util.ts';
import { keySlots, slotAt, type KeySlots } from './vendor.util.ts';

export const LEEF_FORMAT = 'leef';

const KEY_ALIASES: ReadonlyMap<string, string> = new Map([
  ['userName', 'usrName'], ['suser', 'usrName'], ['useragent', 'userAgent'], ['requestClientApplication', 'userAgent'],
  ['requestMethod', 'method'], ['request', 'url'], ['dpt', 'dstPort'],
]);
/** The attributes the mapping reads; the first non-empty occurrence of a key (or of an alias of it) wins. */
const KEYS = [
  'devTime', 'devTimeFormat', 'src', 'dst', 'dstPort', 'usrName', 'url', 'dhost', 'proto', 'action', 'bytesIn',
  'bytesOut', 'userAgent', 'method',
] as const;
type Key = (typeof KEYS)[number];
const SLOTS = keySlots(KEYS, KEY_ALIASES);
const K = Object.fromEntries(KEYS.map((k, i) => [k, i])) as Record<Key, number>;
/** The values of one line, by slot; reused, as parsing is synchronous and never re-entered. */
const VALUES: (string | undefined)[] = new Array<string | undefined>(KEYS.length).fill(undefined);

function nonEmpty(value: string): string | undefined {
  return value === '' ? undefined : value;
}

/** C0 controls and DEL except TAB; the 2.0 delimiter may be one of them and is then allowed too. */
const CONTROL_RE = /[\x00-\x08\x0a-\x1f\x7f]/g;
const HEX_RE = /^[0-9a-fA-F]{2,4}$/;

const FLOW_RULES: FlowFieldRules = {
  port: parsePortText,
  badSrc: 'bad src: expected an IP address',
  badDst: 'bad dst: expected an IP address',
  badPort: 'bad dstPort: expected a port 1-65535',
  badBytesOut: 'bad bytesOut: expected a byte count',
  badBytesIn: 'bad bytesIn: expected a byte count',
  bytesInFirst: true,
};

/** Stateless; one closure per source because of the time zone. */
export const createLeefParser: ParserFactory = zonedParserFactory(
  (opts) => resolveTimeZone(opts, LEEF_FORMAT),
  readLeef,
  // The values are views into the line: the reused array must not keep it alive.
  () => VALUES.fill(undefined),
);

function readLeef(rawLine: string, ctx: ParseContext, zone: string): ParseResult {
  const line = rawLine.trim();
  if (line.length === 0) return rejected('empty line');
  const at = line.indexOf('LEEF:');
  if (at === -1 || (at > 0 && line.charCodeAt(at - 1) !== 32)) return rejected('not a LEEF line: no LEEF: header');

  let pos = at + 5;
  let bar = line.indexOf('|', pos);
  const version = bar === -1 ? '' : line.slice(pos, bar);
  const v2 = version === '2.0' || version === '2';
  if (!v2 && version !== '1.0' && version !== '1') {
    return bar === -1 ? rejected('truncated LEEF header') : rejected('bad LEEF version: expected 1.0 or 2.0');
  }
  for (let k = 0; k < 4; k++) {
    pos = bar + 1;
    bar = line.indexOf('|', pos);
    if (bar === -1) return rejected('truncated LEEF header: expected Vendor|Product|Version|EventID|');
  }
  let delimiter = '\t';
  // The attributes are read in place from here: a sliced-off copy would be a view, slower to read char by char.
  let attrs = bar + 1;
  if (v2) {
    pos = bar + 1;
    bar = line.indexOf('|', pos);
    if (bar === -1) return rejected('truncated LEEF 2.0 header: expected a delimiter field');
    const declared = parseDelimiter(line.slice(pos, bar));
    if (declared === undefined) return rejected('bad LEEF 2.0 delimiter: expected one character or xHH');
    attrs = bar + 1;
    // `…|EventID|||key=…`: the delimiter field holds the bar itself.
    if (declared === '' && line.charCodeAt(attrs) === 124) {
      delimiter = '|';
      attrs++;
    } else if (declared !== '') {
      delimiter = declared;
    }
  }
  if (hasControlChars(line, delimiter)) return rejected('binary or control characters in line');

  const spaceSeparated = delimiter === '\t' && line.indexOf('\t', attrs) === -1 && line.indexOf(' ', attrs) !== -1;
  const f = VALUES;
  if (spaceSeparated ? !scanCefPairs(line, attrs, SLOTS, f, nonEmpty) : !scanAttributes(line, attrs, delimiter, SLOTS, f)) {
    return rejected('malformed LEEF attributes: expected key=value pairs');
  }

  let ms: number | null = null;
  const devTime = f[K.devTime];
  if (devTime !== undefined) {
    const pattern = f[K.devTimeFormat];
    const result = pattern === undefined ? parseDeviceTime(devTime, zone, ctx.receivedAt)
      : parseWithJavaPattern(devTime, pattern, zone, ctx.receivedAt);
    if (typeof result === 'string') return rejected(result);
    if (result === undefined) return rejected('bad devTime: expected epoch ms, MMM dd yyyy HH:mm:ss or a devTimeFormat');
    ms = result;
  }
  ms ??= headerTime(line.slice(0, at), zone, ctx.receivedAt);
  const ts = ms !== null ? isoTimestamp(ms) : receivedTs(ctx.receivedAt);
  if (ts === undefined) return rejected('no timestamp in the line and receivedAt is not a valid date');

  const url = f[K.url] ?? null;
  const method = f[K.method] ?? null;
  const userAgent = f[K.userAgent] ?? null;
  let kind: EventKind = 'flow';
  if ((f[K.proto] ?? '').toLowerCase() === 'dns') kind = 'dns';
  else if (url !== null || method !== null || userAgent !== null) kind = 'proxy';

  const event = emptyEvent(kind, LEEF_FORMAT, ts);
  const bad = readFlowFields(event, FLOW_RULES, f[K.src], f[K.dst], f[K.dstPort], f[K.bytesOut], f[K.bytesIn]);
  if (bad !== undefined) return rejected(bad);
  event.user = f[K.usrName] ?? null;
  event.url = url;
  event.method = method;
  event.userAgent = userAgent;
  const action = f[K.action];
  event.action = action === undefined ? null : actionFromWord(action);
  const dhost = f[K.dhost];
  const named = dhost === undefined ? undefined : hostAndPort(dhost);
  const target = url === null ? null : urlTarget(url);
  event.host = named?.host ?? target?.host ?? null;
  event.destPort ??= named?.port ?? target?.port ?? null;
  return parsed(event);
}

/**
 * Whether the line holds a control char other than the delimiter. Nearly every line holds none, which one regex
 * test tells without the array that listing them would cost.
 */
function hasControlChars(line: string, delimiter: string): boolean {
  if (!CONTROL_CHARS_RE.test(line)) return false;
  const controls = line.match(CONTROL_RE);
  return controls !== null && controls.some((c) => c !== delimiter);
}

/** `^`, `|`, `x5E`, `0x09`, `\t`; '' for an empty field; undefined for anything else. */
function parseDelimiter(s: string): string | undefined {
  if (s.length <= 1) return s;
  if (s === '\\t') return '\t';
  const hex = s.startsWith('0x') || s.startsWith('0X') ? s.slice(2) : s.startsWith('x') || s.startsWith('X') ? s.slice(1) : null;
  if (hex === null || !HEX_RE.test(hex)) return undefined;
  const code = parseInt(hex, 16);
  return code === 0 || code === 61 /* = */ ? undefined : String.fromCharCode(code);
}

/**
 * `key=value` pieces of `line` from `from`, split on `delimiter`; a piece without `=` (or whose text before `=` is
 * no key) continues the value before it. The first non-empty trimmed value of each wanted key goes to its slot in
 * `out`; the values of other keys are never put together. False when text comes before the first key.
 */
function scanAttributes(line: string, from: number, delimiter: string, slots: KeySlots, out: (string | undefined)[]): boolean {
  /** The slot of the pair being read: -1 for a key nobody wants, -2 before the first key. */
  let slot = -2;
  let value = '';
  let start = from;
  while (start <= line.length) {
    let end = line.indexOf(delimiter, start);
    if (end === -1) end = line.length;
    const eq = line.indexOf('=', start);
    if (eq > start && eq < end && isAttributeKey(line, start, eq)) {
      if (slot >= 0) keepAttribute(out, slot, value);
      slot = slotAt(slots, line, start, eq);
      value = slot >= 0 ? line.slice(eq + 1, end) : '';
    } else if (end > start && line.slice(start, end).trim() !== '') {
      if (slot === -2) return false;
      if (slot >= 0) value += delimiter + line.slice(start, end);
    }
    start = end + delimiter.length;
  }
  if (slot >= 0) keepAttribute(out, slot, value);
  return true;
}

function keepAttribute(out: (string | undefined)[], slot: number, value: string): void {
  if (out[slot] !== undefined) return;
  const trimmed = value.trim();
  if (trimmed !== '') out[slot] = trimmed;
}

/** [A-Za-z_][A-Za-z0-9_.-]* between `start` and `end`. */
function isAttributeKey(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
    if (!letter && (i === start || !((c >= 48 && c <= 57) || c === 46 || c === 45))) return false;
  }
  return true;
}
