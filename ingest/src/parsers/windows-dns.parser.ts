/**
 * Windows DNS Server, two sources:
 *
 * 1. The debug log file (`dns.log`, "Log packets for debugging"), one line per packet:
 *    `11/25/2026 10:00:00 AM 0E48 PACKET  000001D5E8F2B450 UDP Rcv 10.1.2.3        a1b2   Q [0001   D   NOERROR] A      (7)chatgpt(3)com(0)`
 *    date, time, thread, context, packet id, UDP/TCP, Snd/Rcv, remote IP, xid, `R` (response) or blank
 *    (query), opcode (Q query, N notify, U update, ? unknown), `[flags-hex flag-chars RCODE]`, question
 *    type, question name in wire form (`(7)chatgpt(3)com(0)`).
 *    Only received queries (`Rcv`, no `R`, opcode `Q`) are events; other packets (sent, responses, updates,
 *    notifies), `EVENT`/`Note:` lines, the file header and the field legend are skipped; anything else is
 *    rejected. The date follows the server's locale: `M/D/YYYY` (12-hour with AM/PM, or 24-hour), `D.M.YYYY`
 *    and `YYYY-MM-DD`. A slash date is read month-first until the stream shows a first number above 12,
 *    which proves the server writes day-first; from then on the instance reads `D/M/YYYY`. Times are local
 *    to the server: read in opts.timeZone. A query packet carries no response code: dnsRcode is null.
 *
 * 2. Analytic/audit ETW events exported as JSON lines (Get-WinEvent | ConvertTo-Json, NXLog, Winlogbeat):
 *    EventID (or Id, winlog.event_id) 256 QUERY_RECEIVED (Source → srcIp), 257 RESPONSE_SUCCESS and 258
 *    RESPONSE_FAILURE (Destination → srcIp, RCODE → dnsRcode); QNAME → host, QTYPE → dnsType, InterfaceIP →
 *    destIp. The named fields are read from EventData / winlog.event_data / the top level, or else from the
 *    `Message` text (`QUERY_RECEIVED: TCP=0; InterfaceIP=…; Source=…; QNAME=…;`). Other event IDs are skipped.
 *    With the analytic channel every query is logged twice (256 then 257/258): once a stream has shown a
 *    256, its responses are skipped so each query counts once (their RCODE is then not kept).
 */
import { emptyEvent, parsed, rejected, skipLine, type LineParser, type ParseResult, type ParserFactory } from '@shadow-ai/core';
import {
  CONTROL_CHARS_RE, digitsAt, ipOrNull, ipVersion, isDigits, isoTimestamp, normalizeHostname,
} from './fields.util.ts';
import {
  DNS_RCODE_RE, dnsRcodeFromText, dnsTypeFromText, epochNumberToMillis, isHex, parseIsoMillis, resolveTimeZone,
  skipBlanks, tokenEnd, validEpochMs, wallToUtc,
} from './common.util.ts';

export const WINDOWS_DNS_FORMAT = 'windows-dns';

/** Lines of the debug log that are not packets: the file header, the field legend, `details` dumps. */
const LEGEND_RE = /^(?:DNS Server log|Log file wrap|Message logging key|Field #|-{3,}|\d{1,2}\s+[A-Z[]|[A-Z?]\s+=\s|blank\s+=|(?:UDP|TCP)\s+(?:question|response)\s+info\s+at\b)/;
const DNS_SERVER_PROVIDER_RE = /dns-?server/i;
const QUERY_RECEIVED = 256;
const RESPONSE_SUCCESS = 257;
const RESPONSE_FAILURE = 258;

interface State {
  zone: string;
  /** a slash date proved day-first (D/M/YYYY) earlier in this stream */
  dayFirst: boolean;
  /** this stream carries QUERY_RECEIVED events, so responses would count queries twice */
  sawQueryEvent: boolean;
}

/** Stateful (date order, ETW query/response pairing): one instance per stream. */
export const createWindowsDnsParser: ParserFactory = (opts) => {
  const state: State = { zone: resolveTimeZone(opts, WINDOWS_DNS_FORMAT), dayFirst: false, sawQueryEvent: false };
  const parse: LineParser = (line) => {
    const start = skipBlanks(line, 0);
    if (start === line.length) return rejected('empty line');
    if (CONTROL_CHARS_RE.test(line)) return rejected('binary or control characters in line');
    if (line.charCodeAt(start) === 123 /* { */) return etwEvent(line, state);
    // The legend and `details` dumps are indented; packet lines start at column 0.
    if (start > 0) return skipLine('debug log legend or packet detail line');
    return debugLine(line.trimEnd(), state);
  };
  return parse;
};

// ------------------------------------------------------------------------------------ debug log

function debugLine(line: string, state: State): ParseResult {
  let end = tokenEnd(line, 0);
  const date = readDate(line, end, state);
  if (date === null) {
    return LEGEND_RE.test(line) ? skipLine('debug log header or legend line') : rejected('not a Windows DNS debug log line');
  }
  if (typeof date === 'string') return rejected(date);
  let pos = skipBlanks(line, end);
  end = tokenEnd(line, pos);
  const time = line.slice(pos, end);
  pos = skipBlanks(line, end);
  end = tokenEnd(line, pos);
  const meridiem = line.slice(pos, end);
  let pm: boolean | null = null;
  if (meridiem === 'AM' || meridiem === 'PM') {
    pm = meridiem === 'PM';
    pos = skipBlanks(line, end);
  }
  const clock = readClock(time, pm);
  if (clock === undefined) return rejected('bad time: expected H:MM:SS, with AM/PM or 24-hour');
  const ms = wallToUtc(state.zone, date.year, date.month0, date.day, clock.hour, clock.minute, clock.second, 0);
  if (ms === undefined) return rejected('bad date: no such day');

  end = tokenEnd(line, pos);
  if (!isHex(line.slice(pos, end))) return rejected('bad thread id: expected hex');
  pos = skipBlanks(line, end);
  end = tokenEnd(line, pos);
  const context = line.slice(pos, end);
  if (context !== 'PACKET') {
    if (context === '') return rejected('truncated line: nothing after the thread id');
    return skipLine(`${context.length > 20 ? context.slice(0, 20) : context} line is not a packet`);
  }

  const open = line.indexOf('[', end);
  const close = open === -1 ? -1 : line.indexOf(']', open);
  if (close === -1) return rejected('truncated packet line: expected [flags rcode]');
  const head = splitBlanks(line, end, open);
  // packet id, UDP/TCP, Snd/Rcv, remote IP, xid, [R], opcode
  if (head.length !== 6 && head.length !== 7) return rejected('malformed packet line: unexpected fields before [');
  const [packetId = '', proto = '', direction = '', remote = '', xid = ''] = head;
  const response = head.length === 7;
  const opcode = head[head.length - 1] ?? '';
  if (!isHex(packetId)) return rejected('bad packet id: expected hex');
  if (proto !== 'UDP' && proto !== 'TCP') return rejected('bad transport: expected UDP or TCP');
  if (direction !== 'Snd' && direction !== 'Rcv') return rejected('bad direction: expected Snd or Rcv');
  if (ipVersion(remote) === 0) return rejected('bad remote IP');
  if (xid.length > 4 || !isHex(xid)) return rejected('bad xid: expected up to 4 hex digits');
  if (response && head[5] !== 'R') return rejected('malformed packet line: expected R (response) or blank');
  if (opcode.length !== 1 || !'QNU?'.includes(opcode)) return rejected('bad opcode: expected Q, N, U or ?');

  const flags = splitBlanks(line, open + 1, close);
  const rcode = flags[flags.length - 1] ?? '';
  if (flags.length < 2 || flags.length > 3 || !isHex(flags[0] ?? '') || !DNS_RCODE_RE.test(rcode)) {
    return rejected('malformed packet line: expected [flags-hex flag-chars RCODE]');
  }
  pos = skipBlanks(line, close + 1);
  end = tokenEnd(line, pos);
  const dnsType = dnsTypeFromText(line.slice(pos, end));
  if (dnsType === undefined) return rejected('bad question type');
  const name = decodeWireName(line.slice(skipBlanks(line, end)));
  if (name === undefined) return rejected('bad question name: expected (n)label…(0)');

  if (direction === 'Snd') return skipLine('sent packet: not a query from a client');
  if (response) return skipLine('response packet: not a query from a client');
  if (opcode !== 'Q') return skipLine(`opcode ${opcode} packet (notify, update): not a query`);

  const event = emptyEvent('dns', WINDOWS_DNS_FORMAT, isoTimestamp(ms));
  event.srcIp = remote;
  event.host = name === null ? null : normalizeHostname(name);
  event.dnsType = dnsType;
  return parsed(event);
}

/** The blank-separated words of `line` between `start` and `end`. */
function splitBlanks(line: string, start: number, end: number): string[] {
  const words: string[] = [];
  let i = start;
  while (i < end) {
    const c = line.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < end && line.charCodeAt(j) !== 32 && line.charCodeAt(j) !== 9) j++;
    words.push(line.slice(i, j));
    i = j;
  }
  return words;
}

interface YMD {
  year: number;
  month0: number;
  day: number;
}

/** The date token, by its separator; null when it is no date at all, a reason when it is a bad one. */
function readDate(line: string, end: number, state: State): YMD | string | null {
  let sep = 0;
  let i = 0;
  const nums = [0, 0, 0];
  const lens = [0, 0, 0];
  let part = 0;
  for (; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      nums[part] = (nums[part] ?? 0) * 10 + (c - 48);
      lens[part] = (lens[part] ?? 0) + 1;
      continue;
    }
    if (c !== 47 && c !== 46 && c !== 45) return null;
    if (part === 0) {
      if (lens[0] === 0) return null;
      sep = c;
    } else if (c !== sep || part === 2) {
      return 'bad date: expected M/D/YYYY, D.M.YYYY or YYYY-MM-DD';
    }
    part++;
  }
  if (sep === 0) return null;
  const [a = 0, b = 0, c = 0] = nums;
  if (part !== 2 || lens.some((n) => n === 0 || n > 4)) return 'bad date: expected M/D/YYYY, D.M.YYYY or YYYY-MM-DD';
  if (sep === 45) return lens[0] === 4 ? { year: a, month0: b - 1, day: c } : 'bad date: expected YYYY-MM-DD';
  if (lens[2] !== 4) return 'bad date: expected a 4-digit year';
  if (sep === 46) return { year: c, month0: b - 1, day: a };
  if (!state.dayFirst && a > 12 && b <= 12) state.dayFirst = true;
  if (state.dayFirst) {
    return b > 12 ? 'bad date: neither D/M/YYYY (as earlier lines showed) nor a valid date' : { year: c, month0: b - 1, day: a };
  }
  return { year: c, month0: a - 1, day: b };
}

/** `H:MM:SS` (or `HH:MM:SS`), with AM/PM when `pm` is not null. */
function readClock(s: string, pm: boolean | null): { hour: number; minute: number; second: number } | undefined {
  const colon = s.indexOf(':');
  if (colon < 1 || colon > 2 || s.length !== colon + 6 || s.charCodeAt(colon + 3) !== 58) return undefined;
  let hour = digitsAt(s, 0, colon);
  const minute = digitsAt(s, colon + 1, 2);
  const second = digitsAt(s, colon + 4, 2);
  if (hour < 0 || minute < 0 || second < 0) return undefined;
  if (pm !== null) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (pm ? 12 : 0);
  }
  return { hour, minute, second };
}

/**
 * `(7)chatgpt(3)com(0)` → `chatgpt.com`; `(0)` (the root) → null; undefined when the counts do not match
 * the labels.
 */
export function decodeWireName(s: string): string | null | undefined {
  const labels: string[] = [];
  let i = 0;
  while (i < s.length) {
    if (s.charCodeAt(i) !== 40 /* ( */) return undefined;
    const close = s.indexOf(')', i);
    if (close === -1 || close - i > 4) return undefined;
    const n = digitsAt(s, i + 1, close - i - 1);
    if (n < 0 || n > 63) return undefined;
    if (n === 0) {
      if (close + 1 !== s.length) return undefined;
      break;
    }
    if (close + 1 + n > s.length) return undefined;
    labels.push(s.slice(close + 1, close + 1 + n));
    i = close + 1 + n;
  }
  return labels.length === 0 ? (s.length === 0 ? undefined : null) : labels.join('.');
}

// ------------------------------------------------------------------------------------------ ETW

type Rec = Record<string, unknown>;

function rec(v: unknown): Rec | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : undefined;
}

function etwEvent(line: string, state: State): ParseResult {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return rejected('invalid JSON');
  }
  const top = rec(obj);
  if (top === undefined) return rejected('not a JSON object');
  const winlog = rec(top['winlog']);
  const provider = top['ProviderName'] ?? top['SourceName'] ?? winlog?.['provider_name'] ?? top['Provider'];
  if (typeof provider === 'string' && !DNS_SERVER_PROVIDER_RE.test(provider)) {
    return rejected(`event from ${provider.slice(0, 60)} is not a DNS Server event`);
  }
  const id = intOf(top['EventID'] ?? top['EventId'] ?? top['Id'] ?? top['event_id'] ?? winlog?.['event_id']
    ?? rec(top['event'])?.['code']);
  if (id === undefined) return rejected('no EventID');
  if (id !== QUERY_RECEIVED && id !== RESPONSE_SUCCESS && id !== RESPONSE_FAILURE) {
    return skipLine(`event ${id} is not a query or response`);
  }
  if (id !== QUERY_RECEIVED && state.sawQueryEvent) {
    return skipLine('response to a query already counted: this stream has QUERY_RECEIVED (256) events');
  }
  const ms = etwTime(top['TimeCreated'] ?? top['@timestamp'] ?? top['EventTime'] ?? top['TimeGenerated'], state.zone);
  if (ms === undefined) return rejected('no or bad TimeCreated');

  const data = rec(top['EventData']) ?? rec(winlog?.['event_data']) ?? rec(top['event_data']) ?? top;
  const sources: EtwSources = { data, top, message: undefined };
  const qname = etwField(sources, 'QNAME');
  if (typeof qname !== 'string' || qname === '') return rejected('no QNAME');
  const qtype = etwField(sources, 'QTYPE');
  const dnsType = typeof qtype === 'string' || typeof qtype === 'number' ? dnsTypeFromText(String(qtype)) : null;
  if (dnsType === undefined) return rejected('bad QTYPE');
  const client = etwField(sources, id === QUERY_RECEIVED ? 'Source' : 'Destination');
  if (client !== undefined && (typeof client !== 'string' || ipVersion(client) === 0)) {
    return rejected(`bad ${id === QUERY_RECEIVED ? 'Source' : 'Destination'}: expected an IP address`);
  }
  let dnsRcode: string | null = null;
  if (id !== QUERY_RECEIVED) {
    const rcode = etwField(sources, 'RCODE');
    if (typeof rcode === 'string' || typeof rcode === 'number') {
      const name = dnsRcodeFromText(String(rcode));
      if (name === undefined) return rejected('bad RCODE');
      dnsRcode = name;
    }
  }
  const iface = etwField(sources, 'InterfaceIP');

  if (id === QUERY_RECEIVED) state.sawQueryEvent = true;
  const event = emptyEvent('dns', WINDOWS_DNS_FORMAT, isoTimestamp(ms));
  event.srcIp = typeof client === 'string' ? client : null;
  event.destIp = typeof iface === 'string' ? ipOrNull(iface) : null;
  event.host = normalizeHostname(qname);
  event.dnsType = dnsType;
  event.dnsRcode = dnsRcode;
  return parsed(event);
}

interface EtwSources {
  data: Rec;
  top: Rec;
  /** the `Message` text's fields, parsed on first need */
  message: Rec | undefined;
}

/** A named event field: from the event data, the top level, or else the Message text. */
function etwField(sources: EtwSources, name: string): unknown {
  const v = sources.data[name] ?? sources.top[name];
  if (v !== undefined) return v;
  sources.message ??= messageFields(sources.top['Message']);
  return sources.message[name];
}

function intOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'string' && v.length <= 6 && isDigits(v)) return Number(v);
  return undefined;
}

/**
 * TimeCreated as exporters write it: ISO 8601 with offset (PowerShell 7, Winlogbeat), `/Date(ms)/`
 * (Windows PowerShell 5.1), `{ "SystemTime": "…" }` (XML converted to JSON), NXLog's local
 * `2026-11-25 10:00:00` (read in the source's zone), or epoch numbers.
 */
function etwTime(v: unknown, zone: string): number | undefined {
  if (typeof v === 'number') return epochNumberToMillis(v);
  const nested = rec(v);
  if (nested !== undefined) return etwTime(nested['SystemTime'] ?? nested['DateTime'], zone);
  if (typeof v !== 'string') return undefined;
  if (v.startsWith('/Date(')) {
    let end = 6;
    while (end < v.length && v.charCodeAt(end) >= 48 && v.charCodeAt(end) <= 57) end++;
    const ms = end > 6 && end - 6 <= 15 ? Number(v.slice(6, end)) : Number.NaN;
    return validEpochMs(ms) ? ms : undefined;
  }
  return parseIsoMillis(v, zone);
}

/** `QUERY_RECEIVED: TCP=0; InterfaceIP=10.0.0.53; Source=10.1.2.3; …` → its fields. */
function messageFields(message: unknown): Rec {
  const out: Rec = {};
  if (typeof message !== 'string') return out;
  const colon = message.indexOf(': ');
  const body = colon !== -1 && colon < message.indexOf('=') ? message.slice(colon + 2) : message;
  for (const part of body.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}
