/**
 * Palo Alto Networks PAN-OS logs forwarded over syslog in the default CSV layout (PAN-OS "Syslog Field
 * Descriptions"), optionally after a BSD or IETF syslog header. Two log types are read; every other type
 * (SYSTEM, CONFIG, …) and THREAT subtype (virus, spyware, …) is rejected.
 *
 * Shared head: `FUTURE_USE, Receive Time, Serial Number, Type, Subtype, FUTURE_USE, Generated Time, Source Address,
 * Destination Address, NAT Source IP, NAT Destination IP, Rule Name, Source User, Destination User, Application,
 * Virtual System, Source Zone, Destination Zone, Inbound Interface, Outbound Interface, Log Action, FUTURE_USE,
 * Session ID, Repeat Count, Source Port, Destination Port, NAT Source Port, NAT Destination Port, Flags, Protocol,
 * Action, …` (indexes 0–30).
 * - TRAFFIC (`kind` flow): `…, Bytes, Bytes Sent, Bytes Received, …` (31–33). Bytes Sent is client→server.
 * - THREAT subtype `url`, the URL Filtering log (`kind` proxy): `…, URL/Filename (misc), Threat ID, Category, …`
 *   (31–33), `User Agent` at 46, `HTTP Method` at 63 (present since PAN-OS 8.0).
 * Later versions only append fields, so longer lines are accepted and the extra fields ignored.
 *
 * Time: `Generated Time` (`2026/11/25 10:00:00`) is the firewall's local time with no zone, read in the parser's
 * `timeZone`. When the line carries a High Resolution Timestamp (ISO 8601 with an offset, appended in PAN-OS 9.1+
 * at a position that differs per type and version) it is used instead: it is exact and has milliseconds.
 * `Application` (the App-ID, e.g. `openai-chatgpt`) has no field in the event contract and is not mapped.
 */
import {
  emptyEvent, parsed, rejected, type EventAction, type LineParser, type ParseResult, type ParserFactory,
} from '@shadow-ai/core';
import { CONTROL_CHARS_RE, ipOrNull, isoTimestamp, parseByteCount, urlTarget } from './fields.util.ts';
import { CsvFields, indexCsv, parseDateTime, parsePortField, resolveTimeZone, textOrNull } from './vendor.util.ts';

export const PANOS_FORMAT = 'panos';

const F = {
  type: 3, subtype: 4, generated: 6, src: 7, dst: 8, srcUser: 12, dport: 25, action: 30,
  bytesSent: 32, bytesReceived: 33, misc: 31, userAgent: 46, httpMethod: 63,
} as const;
const MIN_TRAFFIC_FIELDS = F.bytesReceived + 1;
const MIN_URL_FIELDS = F.misc + 1;
/** The High Resolution Timestamp comes after the fields above in every log type that has it. */
const FIRST_HIGH_RES_INDEX = 40;
/** Fields located in the line; the rest is only searched for the High Resolution Timestamp. */
const SPLIT_FIELDS = F.httpMethod + 1;
/** Reused: parsing is synchronous and never re-entered. */
const FIELDS = new CsvFields();

const HTTP_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
const ALLOWED_ACTIONS: ReadonlySet<string> = new Set(['allow', 'alert', 'continue', 'override']);

const parsePanosUtc: LineParser = (line) => parsePanos(line, undefined);

/** Throws a RangeError for an unknown `timeZone` (a configuration error, found when the parser is made). */
export const createPanosParser: ParserFactory = (opts) => {
  const zone = resolveTimeZone(opts?.timeZone);
  return zone === undefined ? parsePanosUtc : (line) => parsePanos(line, zone);
};

function parsePanos(rawLine: string, zone: string | undefined): ParseResult {
  try {
    return readPanos(rawLine, zone);
  } finally {
    FIELDS.release();
  }
}

function readPanos(rawLine: string, zone: string | undefined): ParseResult {
  const line = rawLine.trim();
  if (line.length === 0) return rejected('empty line');
  if (CONTROL_CHARS_RE.test(line)) return rejected('binary or control characters in line');
  const comma = line.indexOf(',');
  if (comma === -1) return rejected('unsupported layout: not a PAN-OS CSV log');
  // The CSV starts at the field holding the first comma; whatever precedes it is a syslog header.
  const start = line.lastIndexOf(' ', comma) + 1;
  const f = FIELDS;
  const bad = indexCsv(line, start, ',', SPLIT_FIELDS, f);
  if (bad !== undefined) return rejected(bad);
  if (f.count <= F.subtype) return rejected('too few fields for a PAN-OS log');

  const isTraffic = f.is(F.type, 'TRAFFIC');
  if (!isTraffic && !f.is(F.type, 'THREAT')) {
    return rejected('unsupported log type: only TRAFFIC and THREAT (url) are parsed');
  }
  if (!isTraffic && !f.is(F.subtype, 'url')) {
    return rejected('unsupported THREAT subtype: only url (URL Filtering) is parsed');
  }
  if (f.count < (isTraffic ? MIN_TRAFFIC_FIELDS : MIN_URL_FIELDS)) {
    return rejected(isTraffic ? 'too few fields for a PAN-OS TRAFFIC log' : 'too few fields for a PAN-OS URL log');
  }

  const ms = highResTime(f) ?? (f.stop === -1 ? undefined : highResTimeIn(line, f.stop))
    ?? parseDateTime(f.text(F.generated) ?? '', zone);
  if (ms === undefined) return rejected('bad timestamp: expected Generated Time like 2026/11/25 10:00:00');
  const srcIp = ipOrNull(f.text(F.src) ?? '');
  if (srcIp === null) return rejected('bad source address');
  const destIp = ipOrNull(f.text(F.dst) ?? '');
  if (destIp === null) return rejected('bad destination address');
  const destPort = parsePortField(f.text(F.dport));
  if (destPort === undefined) return rejected('bad destination port');

  const event = emptyEvent(isTraffic ? 'flow' : 'proxy', PANOS_FORMAT, isoTimestamp(ms));
  event.srcIp = srcIp;
  event.destIp = destIp;
  event.destPort = destPort;
  event.user = textOrNull(f.text(F.srcUser));
  event.action = actionOf(f.text(F.action) ?? '');

  if (isTraffic) {
    const sent = parseByteCount(f.text(F.bytesSent) || '-');
    if (sent === undefined) return rejected('bad bytes sent');
    const received = parseByteCount(f.text(F.bytesReceived) || '-');
    if (received === undefined) return rejected('bad bytes received');
    event.bytesOut = sent;
    event.bytesIn = received;
    return parsed(event);
  }

  const url = textOrNull(f.text(F.misc));
  if (url !== null) {
    event.url = url;
    // `misc` is host and path without the scheme (`chatgpt.com/backend-api/…`); a port only when not default.
    const target = urlTarget(url);
    event.host = target.host;
  }
  event.userAgent = textOrNull(f.text(F.userAgent));
  const method = (f.text(F.httpMethod) ?? '').toUpperCase();
  event.method = HTTP_METHODS.has(method) ? method : null;
  return parsed(event);
}

/** allow/alert/continue/override → allowed; deny, drop*, reset-*, block-*, override-lockout, sinkhole → blocked. */
function actionOf(action: string): EventAction | null {
  if (ALLOWED_ACTIONS.has(action)) return 'allowed';
  if (action === 'deny' || action === 'sinkhole' || action === 'override-lockout' || action.startsWith('drop')
    || action.startsWith('reset-') || action.startsWith('block')) {
    return 'blocked';
  }
  return null;
}

/** `2026-11-25T10:00:00.123+01:00`: ISO 8601 with an offset, searched for past the fixed head of the log. */
function highResTime(f: CsvFields): number | undefined {
  for (let i = FIRST_HIGH_RES_INDEX; i < f.count; i++) {
    // Length and the `T` are checked in place: cutting out each of the ~25 candidates would cost more.
    const len = f.rawLength(i);
    if (len < 20 || len > 35 || f.line.charCodeAt(f.starts[i]! + 10) !== 84 /* T */) continue;
    const ms = zonedIso(f.text(i)!);
    if (ms !== undefined) return ms;
  }
  return undefined;
}

/** The same, in the part of the line that was not split: a field starting `dddd-dd-ddT`. */
function highResTimeIn(line: string, from: number): number | undefined {
  for (let t = line.indexOf('T', from + 10); t !== -1; t = line.indexOf('T', t + 1)) {
    const begin = t - 10;
    if (line.charCodeAt(begin + 4) !== 45 || line.charCodeAt(begin + 7) !== 45) continue;
    if (begin !== from && line.charCodeAt(begin - 1) !== 44 /* , */) continue;
    const comma = line.indexOf(',', t);
    const ms = zonedIso(line.slice(begin, comma === -1 ? line.length : comma));
    if (ms !== undefined) return ms;
  }
  return undefined;
}

/** Epoch ms of an ISO 8601 stamp that states its zone; undefined for anything else (one without a zone would be
 * the firewall's local time again). */
function zonedIso(v: string): number | undefined {
  if (v.length < 20 || v.length > 35) return undefined;
  if (v.charCodeAt(10) !== 84 /* T */ || v.charCodeAt(4) !== 45 /* - */) return undefined;
  const last = v.charCodeAt(v.length - 1);
  const sign5 = v.charCodeAt(v.length - 5);
  const sign6 = v.charCodeAt(v.length - 6);
  if (last !== 90 /* Z */ && sign5 !== 43 && sign5 !== 45 && sign6 !== 43 && sign6 !== 45) return undefined;
  return parseDateTime(v, undefined);
}
