/**
 * ArcSight Common Event Format from any vendor, with or without a syslog header in front:
 *   `[<PRI>Mmm dd HH:MM:SS host ]CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension`
 * Header fields may contain `\|` and `\\`; the extension is space-separated `key=value` where values may hold
 * spaces and `\=`, `\\`, `\n`, `\r` escapes (unescaped `=` inside a value, as in URLs, is tolerated).
 *
 * Mapped keys (short name or full name): `rt` / `start` / `end` (epoch ms or `MMM dd[ yyyy] HH:mm:ss[.SSS][ zone]`;
 * first present wins, then the syslog header time, then receivedAt) → ts; `src` → srcIp; `dst` → destIp;
 * `dpt` → destPort (else the URL's); `suser` (else `duser`) → user; `request` → url; `dhost` (else the URL's
 * host) → host; `requestMethod` → method; `requestClientApplication` → userAgent; `out` → bytesOut; `in` →
 * bytesIn; `act` → action (block/deny/drop/reset… → blocked, allow/accept/permit/pass… → allowed, else null).
 * `out`/`in` follow what proxy and firewall vendors send (out = client→server), not the spec's ambiguous
 * wording. kind: `dns` when `app` is DNS, `proxy` when the event has HTTP detail (request, method or user
 * agent), `tls` when `app` is TLS/SSL, else `flow`. CEF has no HTTP status key: status is null.
 */
import { emptyEvent, parsed, rejected, type EventKind, type ParseContext, type ParseResult, type ParserFactory } from '@shadow-ai/core';
import { CONTROL_CHARS_RE, isoTimestamp, urlTarget } from './fields.util.ts';
import {
  actionFromWord, dnsTypeFromText, hostAndPort, parsePortText, readFlowFields, receivedTs, resolveTimeZone,
  zonedParserFactory, type FlowFieldRules,
} from './common.util.ts';
import { headerTime, parseDeviceTime, scanCefPairs } from './kv.util.ts';
import { keySlots } from './vendor.util.ts';

export const CEF_FORMAT = 'cef';

const HEADER_FIELDS = 7;
const TIME_KEYS = ['rt', 'start', 'end'] as const;
const VERSION_RE = /^\d{1,2}(?:\.\d{1,2})?$/;

/** Full CEF key names some vendors write instead of the short ones. */
const KEY_ALIASES: ReadonlyMap<string, string> = new Map([
  ['deviceReceiptTime', 'rt'], ['startTime', 'start'], ['endTime', 'end'], ['sourceAddress', 'src'],
  ['destinationAddress', 'dst'], ['destinationPort', 'dpt'], ['sourceUserName', 'suser'],
  ['destinationUserName', 'duser'], ['requestUrl', 'request'], ['requestURL', 'request'],
  ['destinationHostName', 'dhost'], ['bytesOut', 'out'], ['bytesIn', 'in'], ['deviceAction', 'act'],
  ['applicationProtocol', 'app'],
]);
/** The extension keys the mapping reads; the first occurrence of a key (or of an alias of it) wins. */
const KEYS = [
  'rt', 'start', 'end', 'src', 'dst', 'dpt', 'suser', 'duser', 'request', 'dhost', 'requestMethod',
  'requestClientApplication', 'out', 'in', 'act', 'app', 'destinationDnsDomain', 'qtype',
] as const;
type Key = (typeof KEYS)[number];
const SLOTS = keySlots(KEYS, KEY_ALIASES);
const K = Object.fromEntries(KEYS.map((k, i) => [k, i])) as Record<Key, number>;
/** The values of one line, by slot; reused, as parsing is synchronous and never re-entered. */
const VALUES: (string | undefined)[] = new Array<string | undefined>(KEYS.length).fill(undefined);

/** Quotes dropped; `''` and `-` say nothing, so a later pair with the same key may still fill the slot. */
function keepValue(raw: string): string | undefined {
  const value = unquote(raw);
  return value === '' || value === '-' ? undefined : value;
}

const FLOW_RULES: FlowFieldRules = {
  port: parsePortText,
  badSrc: 'bad src: expected an IP address',
  badDst: 'bad dst: expected an IP address',
  badPort: 'bad dpt: expected a port 1-65535',
  badBytesOut: 'bad out: expected a byte count',
  badBytesIn: 'bad in: expected a byte count',
};

/** Stateless; one closure per source because of the time zone. */
export const createCefParser: ParserFactory = zonedParserFactory(
  (opts) => resolveTimeZone(opts, CEF_FORMAT),
  readCef,
  // The values are views into the line: the reused array must not keep it alive.
  () => VALUES.fill(undefined),
);

function readCef(rawLine: string, ctx: ParseContext, zone: string): ParseResult {
  const line = rawLine.trim();
  if (line.length === 0) return rejected('empty line');
  if (CONTROL_CHARS_RE.test(line)) return rejected('binary or control characters in line');
  const at = line.indexOf('CEF:');
  if (at === -1 || (at > 0 && line.charCodeAt(at - 1) !== 32)) return rejected('not a CEF line: no CEF: header');

  let pos = at + 4;
  let version = '';
  for (let k = 0; k < HEADER_FIELDS; k++) {
    const bar = nextBar(line, pos);
    if (bar === -1) return rejected('truncated CEF header: expected 7 |-separated fields before the extension');
    if (k === 0) version = line.slice(pos, bar).trim();
    pos = bar + 1;
  }
  if (!VERSION_RE.test(version)) return rejected('bad CEF version');

  const f = VALUES;
  if (!scanCefPairs(line, pos, SLOTS, f, keepValue)) return rejected('malformed CEF extension: expected key=value pairs');

  let ms: number | null = null;
  for (const key of TIME_KEYS) {
    const text = f[K[key]];
    if (text === undefined) continue;
    const parsedMs = parseDeviceTime(text, zone, ctx.receivedAt);
    if (parsedMs === undefined) return rejected(`bad ${key}: expected epoch ms or MMM dd yyyy HH:mm:ss`);
    ms = parsedMs;
    break;
  }
  ms ??= headerTime(line.slice(0, at), zone, ctx.receivedAt);
  const ts = ms !== null ? isoTimestamp(ms) : receivedTs(ctx.receivedAt);
  if (ts === undefined) return rejected('no timestamp in the line and receivedAt is not a valid date');

  const request = f[K.request] ?? null;
  const method = f[K.requestMethod] ?? null;
  const userAgent = f[K.requestClientApplication] ?? null;
  const app = (f[K.app] ?? '').toLowerCase();
  let kind: EventKind = 'flow';
  if (app === 'dns') kind = 'dns';
  else if (request !== null || method !== null || userAgent !== null) kind = 'proxy';
  else if (app === 'tls' || app === 'ssl') kind = 'tls';

  const event = emptyEvent(kind, CEF_FORMAT, ts);
  const bad = readFlowFields(event, FLOW_RULES, f[K.src], f[K.dst], f[K.dpt], f[K.out], f[K.in]);
  if (bad !== undefined) return rejected(bad);
  event.user = f[K.suser] ?? f[K.duser] ?? null;
  event.url = request;
  event.method = method;
  event.userAgent = userAgent;
  const act = f[K.act];
  event.action = act === undefined ? null : actionFromWord(act);
  const dhost = f[K.dhost] ?? (kind === 'dns' ? f[K.destinationDnsDomain] : undefined);
  const named = dhost === undefined ? undefined : hostAndPort(dhost);
  const target = request === null ? null : urlTarget(request);
  event.host = named?.host ?? target?.host ?? null;
  event.destPort ??= named?.port ?? target?.port ?? null;
  if (kind === 'dns') {
    const qtype = f[K.qtype];
    event.dnsType = qtype === undefined ? null : (dnsTypeFromText(qtype) ?? null);
  }
  return parsed(event);
}

/** The next `|` not escaped as `\|`, or -1. */
function nextBar(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */) i++;
    else if (c === 124 /* | */) return i;
  }
  return -1;
}

/** Some vendors quote values (`request="claude.ai/api/"`): the quotes are not part of the value. */
function unquote(v: string): string {
  return v.length >= 2 && v.charCodeAt(0) === 34 && v.charCodeAt(v.length - 1) === 34 ? v.slice(1, -1) : v;
}
