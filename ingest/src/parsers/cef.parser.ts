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
import { isIP } from 'node:net';
import { CONTROL_CHARS_RE, isoTimestamp, parseByteCount, urlTarget } from './fields.util.ts';
import { actionFromWord, dnsTypeFromText, hostAndPort, parsePortText, resolveTimeZone, receivedTs } from './common.util.ts';
import { headerTime, parseDeviceTime, splitCefPairs } from './kv.util.ts';

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
/** The extension keys the mapping reads; the first occurrence of a key wins. */
class Fields {
  rt: string | undefined = undefined;
  start: string | undefined = undefined;
  end: string | undefined = undefined;
  src: string | undefined = undefined;
  dst: string | undefined = undefined;
  dpt: string | undefined = undefined;
  suser: string | undefined = undefined;
  duser: string | undefined = undefined;
  request: string | undefined = undefined;
  dhost: string | undefined = undefined;
  requestMethod: string | undefined = undefined;
  requestClientApplication: string | undefined = undefined;
  out: string | undefined = undefined;
  in: string | undefined = undefined;
  act: string | undefined = undefined;
  app: string | undefined = undefined;
  destinationDnsDomain: string | undefined = undefined;
  qtype: string | undefined = undefined;

  take(key: string, v: string): void {
    switch (key) {
      case 'rt': this.rt ??= v; break;
      case 'start': this.start ??= v; break;
      case 'end': this.end ??= v; break;
      case 'src': this.src ??= v; break;
      case 'dst': this.dst ??= v; break;
      case 'dpt': this.dpt ??= v; break;
      case 'suser': this.suser ??= v; break;
      case 'duser': this.duser ??= v; break;
      case 'request': this.request ??= v; break;
      case 'dhost': this.dhost ??= v; break;
      case 'requestMethod': this.requestMethod ??= v; break;
      case 'requestClientApplication': this.requestClientApplication ??= v; break;
      case 'out': this.out ??= v; break;
      case 'in': this.in ??= v; break;
      case 'act': this.act ??= v; break;
      case 'app': this.app ??= v; break;
      case 'destinationDnsDomain': this.destinationDnsDomain ??= v; break;
      case 'qtype': this.qtype ??= v; break;
    }
  }
}

/** Reused for every line: parsing is synchronous, so one array serves all calls. */
const PAIRS: string[] = [];

/** Stateless; one closure per source because of the time zone. */
export const createCefParser: ParserFactory = (opts) => {
  const zone = resolveTimeZone(opts, CEF_FORMAT);
  return (line, ctx) => parseCef(line, ctx, zone);
};

function parseCef(rawLine: string, ctx: ParseContext, zone: string): ParseResult {
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

  if (!splitCefPairs(line.slice(pos), PAIRS)) return rejected('malformed CEF extension: expected key=value pairs');
  const f = new Fields();
  for (let k = 0; k < PAIRS.length; k += 2) {
    const rawKey = PAIRS[k] ?? '';
    const value = unquote(PAIRS[k + 1] ?? '');
    if (value === '' || value === '-') continue;
    f.take(KEY_ALIASES.get(rawKey) ?? rawKey, value);
  }

  let ms: number | null = null;
  for (const key of TIME_KEYS) {
    const text = f[key];
    if (text === undefined) continue;
    const parsedMs = parseDeviceTime(text, zone, ctx.receivedAt);
    if (parsedMs === undefined) return rejected(`bad ${key}: expected epoch ms or MMM dd yyyy HH:mm:ss`);
    ms = parsedMs;
    break;
  }
  ms ??= headerTime(line.slice(0, at), zone, ctx.receivedAt);
  const ts = ms !== null ? isoTimestamp(ms) : receivedTs(ctx.receivedAt);
  if (ts === undefined) return rejected('no timestamp in the line and receivedAt is not a valid date');

  const src = f.src;
  if (src !== undefined && isIP(src) === 0) return rejected('bad src: expected an IP address');
  const dst = f.dst;
  if (dst !== undefined && isIP(dst) === 0) return rejected('bad dst: expected an IP address');
  const dpt = f.dpt === undefined ? null : parsePortText(f.dpt);
  if (dpt === undefined) return rejected('bad dpt: expected a port 1-65535');
  const out = f.out === undefined ? null : parseByteCount(f.out);
  if (out === undefined) return rejected('bad out: expected a byte count');
  const bytesIn = f.in === undefined ? null : parseByteCount(f.in);
  if (bytesIn === undefined) return rejected('bad in: expected a byte count');

  const request = f.request ?? null;
  const method = f.requestMethod ?? null;
  const userAgent = f.requestClientApplication ?? null;
  const app = (f.app ?? '').toLowerCase();
  let kind: EventKind = 'flow';
  if (app === 'dns') kind = 'dns';
  else if (request !== null || method !== null || userAgent !== null) kind = 'proxy';
  else if (app === 'tls' || app === 'ssl') kind = 'tls';

  const event = emptyEvent(kind, CEF_FORMAT, ts);
  event.srcIp = src ?? null;
  event.destIp = dst ?? null;
  event.user = f.suser ?? f.duser ?? null;
  event.url = request;
  event.method = method;
  event.userAgent = userAgent;
  event.bytesOut = out;
  event.bytesIn = bytesIn;
  event.action = f.act === undefined ? null : actionFromWord(f.act);
  const dhost = f.dhost ?? (kind === 'dns' ? f.destinationDnsDomain : undefined);
  const named = dhost === undefined ? undefined : hostAndPort(dhost);
  const target = request === null ? null : urlTarget(request);
  event.host = named?.host ?? target?.host ?? null;
  event.destPort = dpt ?? named?.port ?? target?.port ?? null;
  if (kind === 'dns') {
    event.dnsType = f.qtype === undefined ? null : (dnsTypeFromText(f.qtype) ?? null);
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
