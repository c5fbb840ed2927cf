/**
 * Check Point Security Gateway logs from the Log Exporter in its `syslog` format: an RFC 5424 (or BSD) header,
 * then `[key:"value"; key:"value"; …]` (values with `\"` escapes; bare values and a missing `[ ]` are tolerated).
 * URL Filtering / Application Control logs become `kind` proxy, other connection logs `kind` flow.
 *
 * Mapped keys: `time` (epoch seconds; without it the header's ISO timestamp, an offset-less one read in the
 * parser's `timeZone`), `src`, `dst`, `service` (the destination port number), `src_user_name` (else `user`, else
 * `source_user_name`), `resource` (the URL; host and port from it), `method`, `client_outbound_bytes` (bytes the
 * client sent, after the gateway) and `server_outbound_bytes` (bytes the server sent) — falling back to
 * `client_inbound_bytes` / `server_inbound_bytes` — and `action`: Accept/Allow → allowed,
 * Drop/Reject/Block/Prevent → blocked, anything else (Detect, Inform, Ask, Redirect, …: a UserCheck page or a
 * detection whose outcome the line does not state) → null.
 * TRICKY: the byte-counter directions follow Check Point's naming (`client_…` is traffic the client side sent,
 * `…_inbound`/`…_outbound` is into/out of the gateway), as the widely used SIEM mappings read them; the field
 * reference (sk144192) was not at hand to confirm.
 */
import {
  emptyEvent, parsed, rejected, type EventAction, type ParseContext, type ParseResult, type ParserFactory,
} from '@shadow-ai/core';
import { CONTROL_CHARS_RE, isDigits, isoTimestamp, urlTarget } from './fields.util.ts';
import { readFlowFields, type FlowFieldRules } from './common.util.ts';
import {
  keySlots, parseDateTime, parseEpochAuto, parsePortField, scanColonPairSlots, SlotValues, textOrNull,
  vendorParserFactory,
} from './vendor.util.ts';

export const CHECKPOINT_FORMAT = 'checkpoint';

const KEYS = [
  'time', 'action', 'src', 'dst', 'service', 'src_user_name', 'user', 'source_user_name', 'resource', 'method',
  'client_outbound_bytes', 'server_outbound_bytes', 'client_inbound_bytes', 'server_inbound_bytes',
] as const;
type Key = (typeof KEYS)[number];
const SLOTS = keySlots(KEYS);
const K = Object.fromEntries(KEYS.map((k, i) => [k, i])) as Record<Key, number>;
/** The values of one line, by slot; reused, as parsing is synchronous and never re-entered. */
const VALUES = new SlotValues(KEYS.length);

function val(v: SlotValues, slot: number): string | null {
  return textOrNull(v.text(slot));
}

const ALLOWED: ReadonlySet<string> = new Set(['accept', 'allow']);
const BLOCKED: ReadonlySet<string> = new Set(['drop', 'reject', 'block', 'prevent']);
const HTTP_METHOD_MAX = 20;

const FLOW_RULES: FlowFieldRules = {
  // `service` is the port number; a name (older exports) says nothing exact about the port.
  port: (service) => (isDigits(service) ? parsePortField(service) : null),
  badSrc: 'bad src address',
  badDst: 'bad dst address',
  badPort: 'bad service port',
  badBytesOut: 'bad client_outbound_bytes',
  badBytesIn: 'bad server_outbound_bytes',
};

/** Throws a RangeError for an unknown `timeZone` (a configuration error, found when the parser is made). */
export const createCheckpointParser: ParserFactory = vendorParserFactory(readCheckpoint, VALUES);

function readCheckpoint(rawLine: string, _ctx: ParseContext, zone: string | undefined): ParseResult {
  const line = rawLine.trim();
  if (line.length === 0) return rejected('empty line');
  if (CONTROL_CHARS_RE.test(line)) return rejected('binary or control characters in line');

  const open = pairsOpen(line);
  const bareStart = open === -1 ? bareFieldsStart(line) : -1;
  if (open === -1 && bareStart === -1) return rejected('unsupported layout: no [key:"value"; …] block');
  const v = VALUES;
  v.reset(line);
  const malformed = open === -1
    ? scanColonPairSlots(line, bareStart, false, SLOTS, v)
    : scanColonPairSlots(line, open + 1, true, SLOTS, v);
  if (malformed !== undefined) return rejected(malformed);

  const action = val(v, K.action);
  const src = val(v, K.src);
  const dst = val(v, K.dst);
  if (action === null && src === null && dst === null) {
    return rejected('not a Check Point traffic log: no action, src or dst');
  }
  const header = open === -1 ? line.slice(0, bareStart) : line.slice(0, open);
  const ms = timeOf(val(v, K.time), header, zone);
  if (typeof ms === 'string') return rejected(ms);

  const resource = val(v, K.resource);
  const event = emptyEvent(resource === null ? 'flow' : 'proxy', CHECKPOINT_FORMAT, isoTimestamp(ms));
  const bad = readFlowFields(event, FLOW_RULES, src, dst, val(v, K.service),
    val(v, K.client_outbound_bytes) ?? val(v, K.client_inbound_bytes),
    val(v, K.server_outbound_bytes) ?? val(v, K.server_inbound_bytes));
  if (bad !== undefined) return rejected(bad);
  event.user = val(v, K.src_user_name) ?? val(v, K.user) ?? val(v, K.source_user_name);
  event.action = actionOf(action);
  if (resource !== null) {
    event.url = resource;
    const target = urlTarget(resource);
    event.host = target.host;
    event.destPort ??= target.port;
  }
  const method = val(v, K.method);
  event.method = method === null || method.length > HTTP_METHOD_MAX ? null : method.toUpperCase();
  return parsed(event);
}

/** The `[` that opens the pairs: the first one followed by `key:` (a BSD tag may carry `[pid]` before it). */
function pairsOpen(line: string): number {
  for (let at = line.indexOf('['); at !== -1; at = line.indexOf('[', at + 1)) {
    let i = at + 1;
    while (i < line.length && isKeyChar(line.charCodeAt(i))) i++;
    if (i > at + 1 && line.charCodeAt(i) === 58 /* : */) return at;
  }
  return -1;
}

function isKeyChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46;
}

/** Without `[ ]`: the pairs start at the key of the first `key:"`. */
function bareFieldsStart(line: string): number {
  const at = line.indexOf(':"');
  if (at <= 0) return -1;
  const sp = line.lastIndexOf(' ', at);
  return sp + 1;
}

function actionOf(action: string | null): EventAction | null {
  if (action === null) return null;
  const a = action.toLowerCase();
  if (ALLOWED.has(a)) return 'allowed';
  if (BLOCKED.has(a)) return 'blocked';
  return null;
}

/**
 * `time` (epoch seconds, or an ISO timestamp), else the RFC 5424 header timestamp (`<134>1 2026-11-25T10:00:00Z …`
 * or the `2026-11-25 10:00:00` some exporters write). A BSD header has no year and is not used.
 */
function timeOf(time: string | null, header: string, zone: string | undefined): number | string {
  if (time !== null) {
    const ms = time.includes('-') || time.includes(':') ? parseDateTime(time, zone) : parseEpochAuto(time);
    return ms ?? 'bad timestamp: time is neither epoch seconds nor ISO 8601';
  }
  const gt = header.indexOf('>');
  if (gt === -1) return 'no timestamp: no time field and no syslog header';
  const parts = header.slice(gt + 1).trim().split(' ');
  // `1 2026-11-25T10:00:00Z host …` or `1 2026-11-25 10:00:00 host …`
  if (parts[0] !== '1' || parts.length < 2) return 'no timestamp: no time field and no RFC 5424 header';
  const stamp = parts[1]!;
  const ms = stamp.length === 10 && parts[2] !== undefined
    ? parseDateTime(`${stamp} ${parts[2]}`, zone)
    : parseDateTime(stamp, zone);
  return ms ?? 'bad timestamp: RFC 5424 header timestamp';
}
