/**
 * Fortinet FortiGate (FortiOS) logs in the default syslog form: `key=value` pairs separated by blanks, values bare
 * or in double quotes (`\"` inside), optionally after a syslog header (`<189>`, or a BSD/IETF header whose words
 * contain no `=`). Read:
 *
 * - `type="utm" subtype="webfilter"` and `subtype="app-ctrl"` (`kind` proxy): `hostname`, `url` (the path, or a
 *   full URL in some versions), `srcip`, `dstip`, `dstport`, `user`, `agent`, `httpmethod` (FortiOS 7+; the
 *   `method` key is the rating method, e.g. `domain`, not the HTTP method), `sentbyte`/`rcvdbyte`, `action`
 *   (`passthrough` → allowed, `blocked` → blocked).
 * - `type="utm" subtype="dns"` (`kind` dns): `qname`, `qtype` (or `qtypeval` → `TYPEnn`), `srcip`, `dstip`/`dstport`
 *   (the DNS server), `action` (`pass` → allowed, `block`/`redirect` → blocked; dns-query lines have none).
 *   FortiOS logs no response code there, so `dnsRcode` stays null.
 * - `type="traffic"` (`kind` flow): `srcip`, `dstip`, `dstport`, `user`, `hostname` when logged, `sentbyte`
 *   (originator → responder, so client → server) and `rcvdbyte`, `action` (accept and the session-end actions
 *   close/timeout/client-rst/server-rst → allowed, deny → blocked; `utmaction="block"` also → blocked).
 * Anything else (event logs, other UTM subtypes) is rejected.
 *
 * Time: `date` + `time` are in the FortiGate's zone. With `tz="+0100"` that offset is applied (and when `eventtime`
 * agrees to the second, its sub-second part is kept); else `eventtime` (epoch s/ms/µs/ns) is used; else `date` +
 * `time` are read in the parser's `timeZone`.
 */
import {
  emptyEvent, parsed, rejected, type EventAction, type NormalizedEvent, type ParseContext, type ParseResult,
  type ParserFactory,
} from '@shadow-ai/core';
import { CONTROL_CHARS_RE, ipOrNull, isDigits, isoTimestamp, normalizeHostname, urlTarget } from './fields.util.ts';
import { readFlowFields, type FlowFieldRules } from './common.util.ts';
import {
  keySlots, parseDateTime, parseEpochAuto, parsePortField, parseUtcOffset, scanKeyValueSlots, vendorParserFactory,
  SlotValues, textOrNull,
} from './vendor.util.ts';

export const FORTIGATE_FORMAT = 'fortigate';

const KEYS = [
  'date', 'time', 'tz', 'eventtime', 'type', 'subtype', 'srcip', 'dstip', 'dstport', 'user', 'unauthuser', 'hostname',
  'url', 'agent', 'httpmethod', 'sentbyte', 'rcvdbyte', 'action', 'utmaction', 'qname', 'qtype', 'qtypeval',
] as const;
type Key = (typeof KEYS)[number];
const SLOTS = keySlots(KEYS);
const K = Object.fromEntries(KEYS.map((k, i) => [k, i])) as Record<Key, number>;
/** The values of one line, by slot; reused, as parsing is synchronous and never re-entered. */
const VALUES = new SlotValues(KEYS.length);

function val(v: SlotValues, slot: number): string | null {
  return textOrNull(v.text(slot));
}

const ALLOWED: ReadonlySet<string> = new Set([
  'passthrough', 'pass', 'accept', 'allow', 'permit', 'close', 'timeout', 'client-rst', 'server-rst', 'monitor',
]);
const BLOCKED: ReadonlySet<string> = new Set(['blocked', 'block', 'deny', 'drop', 'reset', 'redirect']);
const HTTP_METHOD_MAX = 20;

const FLOW_RULES: FlowFieldRules = {
  port: parsePortField,
  badSrc: 'bad srcip',
  badDst: 'bad dstip',
  badPort: 'bad dstport',
  badBytesOut: 'bad sentbyte',
  badBytesIn: 'bad rcvdbyte',
};

/** Throws a RangeError for an unknown `timeZone` (a configuration error, found when the parser is made). */
export const createFortigateParser: ParserFactory = vendorParserFactory(readFortigate, VALUES);

function readFortigate(rawLine: string, _ctx: ParseContext, zone: string | undefined): ParseResult {
  const line = rawLine.trim();
  if (line.length === 0) return rejected('empty line');
  if (CONTROL_CHARS_RE.test(line)) return rejected('binary or control characters in line');
  const start = pairsStart(line);
  if (start === -1) return rejected('unsupported layout: no key=value pairs');
  const v = VALUES;
  v.reset(line);
  const malformed = scanKeyValueSlots(line, start, SLOTS, v);
  if (malformed !== undefined) return rejected(malformed);

  const type = val(v, K.type);
  const subtype = val(v, K.subtype);
  let kind: NormalizedEvent['kind'];
  if (type === 'traffic') kind = 'flow';
  else if (type === 'utm' && (subtype === 'webfilter' || subtype === 'app-ctrl')) kind = 'proxy';
  else if (type === 'utm' && subtype === 'dns') kind = 'dns';
  else if (type === null) return rejected('not a FortiGate log line: no type=');
  else return rejected('unsupported log type: only traffic, utm webfilter, app-ctrl and dns are parsed');

  const ms = timeOf(val(v, K.date), val(v, K.time), val(v, K.tz), val(v, K.eventtime), zone);
  if (typeof ms === 'string') return rejected(ms);

  const event = emptyEvent(kind, FORTIGATE_FORMAT, isoTimestamp(ms));
  // DNS logs carry no byte counts worth reading.
  const dns = kind === 'dns';
  const bad = readFlowFields(event, FLOW_RULES, val(v, K.srcip), val(v, K.dstip), val(v, K.dstport),
    dns ? null : val(v, K.sentbyte), dns ? null : val(v, K.rcvdbyte));
  if (bad !== undefined) return rejected(bad);
  event.user = val(v, K.user) ?? val(v, K.unauthuser);
  const utmAction = val(v, K.utmaction);
  event.action = utmAction === 'block' ? 'blocked' : actionOf(val(v, K.action));

  if (dns) {
    const qname = val(v, K.qname);
    if (qname === null) return rejected('dns log without qname');
    event.host = normalizeHostname(qname);
    const qtype = val(v, K.qtype);
    const qtypeval = val(v, K.qtypeval);
    const numeric = qtypeval !== null && isDigits(qtypeval) && qtypeval.length <= 5;
    event.dnsType = qtype ?? (numeric ? `TYPE${qtypeval}` : null);
    return parsed(event);
  }

  const hostname = val(v, K.hostname);
  if (hostname !== null) event.host = normalizeHostname(hostname) ?? ipOrNull(hostname)?.toLowerCase() ?? null;
  if (kind === 'proxy') {
    const url = val(v, K.url);
    if (url !== null) {
      if (url.includes('://')) {
        event.url = url;
        event.host ??= urlTarget(url).host;
      } else {
        // The path only: prefixed with the logged host it was requested from.
        event.url = hostname !== null && url.charCodeAt(0) === 47 /* / */ ? hostname + url : url;
      }
    }
    event.userAgent = val(v, K.agent);
    const method = val(v, K.httpmethod);
    event.method = method === null || method.length > HTTP_METHOD_MAX ? null : method.toUpperCase();
  }
  return parsed(event);
}

/** Where the pairs begin: the first blank-separated word containing `=`, after an optional `<PRI>`. */
function pairsStart(line: string): number {
  let i = 0;
  if (line.charCodeAt(0) === 60 /* < */) {
    const close = line.indexOf('>');
    if (close !== -1 && close <= 5) i = close + 1;
  }
  while (i < line.length) {
    while (i < line.length && line.charCodeAt(i) === 32) i++;
    let end = i;
    let hasEq = false;
    while (end < line.length && line.charCodeAt(end) !== 32) {
      if (line.charCodeAt(end) === 61 /* = */) {
        hasEq = true;
        break;
      }
      end++;
    }
    if (hasEq) return end === i ? -1 : i;
    i = end;
  }
  return -1;
}

function actionOf(action: string | null): EventAction | null {
  if (action === null) return null;
  if (ALLOWED.has(action)) return 'allowed';
  if (BLOCKED.has(action)) return 'blocked';
  return null;
}

/** Epoch ms per the rules in the header comment, or the rejection reason. */
function timeOf(
  date: string | null, time: string | null, tz: string | null, eventtime: string | null, zone: string | undefined,
): number | string {
  const event = eventtime === null ? undefined : parseEpochAuto(eventtime);
  if (eventtime !== null && event === undefined) return 'bad eventtime: expected epoch seconds, ms, µs or ns';
  if (date !== null && time !== null && tz !== null) {
    const offset = parseUtcOffset(tz);
    if (offset === undefined) return 'bad tz: expected an offset like +0100';
    const wall = parseDateTime(`${date} ${time}`, undefined);
    if (wall === undefined) return 'bad timestamp: expected date=YYYY-MM-DD time=HH:MM:SS';
    const ms = wall - offset * 60_000;
    return event !== undefined && Math.floor(event / 1000) === Math.floor(ms / 1000) ? event : ms;
  }
  if (event !== undefined) return event;
  if (date === null || time === null) return 'no timestamp: expected date= and time= or eventtime=';
  const ms = parseDateTime(`${date} ${time}`, zone);
  return ms === undefined ? 'bad timestamp: expected date=YYYY-MM-DD time=HH:MM:SS' : ms;
}
