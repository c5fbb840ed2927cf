/**
 * BIND 9 query log (`category queries`), plus the refusals BIND logs in the `security` category.
 *
 * `[dd-Mon-yyyy HH:MM:SS.mmm ][category: ][severity: ]client [@0x… ]IP#PORT[/key NAME] [(QNAME)]: [view V: ]BODY`
 * - query:   `query: chatgpt.com IN A +E(0)K (10.0.0.53)` → host, dnsType, destIp (the server address).
 * - refusal: `query (cache) 'evil.example/A/IN' denied` → host, dnsType, action `blocked`.
 * Anything else after the client part (query-errors, rate limits, updates, transfers) is not a query and is
 * rejected. The query log carries no response code, so `dnsRcode` is always null; `action` is null on
 * ordinary queries because the log line is written before BIND decides how to answer.
 */
import { emptyEvent, parsed, rejected, wallClockToUtc, type LineParser, type ParseContext, type ParserFactory, type ParseResult } from '@shadow-ai/core';
import {
  CONTROL_CHARS_RE, digitsAt, ipOrNull, isDigits, isoTimestamp, monthIndex, normalizeHostname, utcMillis,
} from './fields.util.ts';

const FORMAT = 'bind';

/** `category: severity: ` as printed by `print-category` / `print-severity` (`debug 3: ` included). */
const PREFIX_RE = /^(?:[a-z][a-z0-9_-]*(?: \d+)?: )*$/;
const DNS_CLASS_RE = /^(?:IN|CH|HS|ANY|NONE|CLASS\d+)$/;
/** Mnemonics (A, AAAA, HTTPS, NSAP-PTR) or the generic TYPE65 form. */
const DNS_TYPE_RE = /^[A-Z][A-Z0-9-]*$/;

/** BIND query log in UTC; see createBindParser for servers that log local time. */
export const parseBind: LineParser = (rawLine, ctx) => parseBindLine(rawLine, ctx, undefined);

/** `opts.timeZone`: the zone the server logs its local time in (BIND prints no offset). */
export const createBindParser: ParserFactory = (opts) => {
  const zone = opts?.timeZone;
  return !zone || zone === 'UTC' ? parseBind : (rawLine, ctx) => parseBindLine(rawLine, ctx, zone);
};

function parseBindLine(rawLine: string, ctx: ParseContext, zone: string | undefined): ParseResult {
  const line = rawLine.trim();
  if (line.length === 0) return rejected('empty line');
  if (CONTROL_CHARS_RE.test(line)) return rejected('binary or control characters in line');

  let pos = 0;
  let ms: number | undefined;
  let localTime = false;
  const first = line.charCodeAt(0);
  if (first >= 48 && first <= 57) {
    const stamp = readTimestamp(line);
    if (stamp === undefined) return rejected('bad timestamp: expected dd-Mon-yyyy HH:MM:SS.mmm');
    ms = stamp.ms;
    localTime = !stamp.utc;
    pos = stamp.end + 1;
  }
  const clientAt = line.indexOf('client ', pos);
  if (clientAt === -1) return rejected('not a query log line: no "client" part');
  if (!PREFIX_RE.test(line.slice(pos, clientAt))) {
    return rejected('unsupported layout: unexpected text before "client"');
  }
  pos = clientAt + 7;

  // @0x…: the client object's address, printed since BIND 9.11; meaningless outside the process.
  if (line.charCodeAt(pos) === 64 /* @ */) {
    const sp = line.indexOf(' ', pos);
    if (sp === -1) return rejected('truncated line: nothing after the client object');
    pos = sp + 1;
  }
  let end = line.indexOf(' ', pos);
  if (end === -1) return rejected('truncated line: nothing after the client address');
  let peer = line.slice(pos, end);
  pos = end + 1;
  // Without a query name in parentheses (older BIND) the client part ends right after IP#PORT with `:`.
  let clientPartDone = false;
  if (peer.endsWith(':')) {
    clientPartDone = true;
    peer = peer.slice(0, -1);
  } else if (peer.endsWith('/key')) {
    // TSIG-signed: `IP#PORT/key KEYNAME`.
    peer = peer.slice(0, -4);
    end = line.indexOf(' ', pos);
    if (end === -1) return rejected('truncated line: nothing after the TSIG key name');
    clientPartDone = line.charCodeAt(end - 1) === 58 /* : */;
    pos = end + 1;
  }
  const hash = peer.lastIndexOf('#');
  if (hash === -1 || !isDigits(peer.slice(hash + 1))) return rejected('bad client address: expected IP#PORT');
  const srcIp = ipOrNull(peer.slice(0, hash));
  if (srcIp === null) return rejected('bad client address: expected IP#PORT');

  let clientQname: string | null = null;
  if (!clientPartDone) {
    end = line.indexOf(' ', pos);
    if (end === -1) return rejected('truncated line: nothing after the query name');
    const token = line.slice(pos, end);
    if (token.charCodeAt(0) !== 40 /* ( */ || !token.endsWith('):')) {
      return rejected('unsupported layout: expected (NAME): after the client address');
    }
    clientQname = token.slice(1, -2);
    pos = end + 1;
  }
  if (line.startsWith('view ', pos)) {
    end = line.indexOf(': ', pos + 5);
    if (end === -1) return rejected('truncated line: nothing after the view name');
    pos = end + 2;
  }

  const ts = ms !== undefined ? isoTimestamp(localTime ? wallClockToUtc(zone, ms) : ms) : receivedTs(ctx.receivedAt);
  if (ts === undefined) return rejected('no timestamp in the line and receivedAt is not a valid date');
  if (line.startsWith('query: ', pos)) return queryEvent(line.slice(pos + 7), ts, srcIp);
  if (line.startsWith('query ', pos)) return refusalEvent(line.slice(pos + 6), ts, srcIp, clientQname);
  return rejected('not a query log line');
}

/** `chatgpt.com IN A +E(0)K (10.0.0.53)`: name, class, type, flags, server address. */
function queryEvent(body: string, ts: string, srcIp: string): ParseResult {
  const parts = body.split(' ');
  const [name = '', dnsClass = '', dnsType = ''] = parts;
  if (dnsType === '') return rejected('truncated query: expected NAME CLASS TYPE');
  if (!DNS_CLASS_RE.test(dnsClass)) return rejected('bad query class');
  if (!DNS_TYPE_RE.test(dnsType)) return rejected('bad query type');
  const event = emptyEvent('dns', FORMAT, ts);
  event.srcIp = srcIp;
  // The root (`.`) and names BIND had to escape (`\032`, `\(`) are not hostnames: host stays null.
  event.host = normalizeHostname(name);
  event.dnsType = dnsType;
  // The address the query arrived on, after the flags; absent before BIND 9.10.
  for (let i = 3; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (part.charCodeAt(0) === 40 /* ( */ && part.endsWith(')')) {
      event.destIp = ipOrNull(part.slice(1, -1));
      break;
    }
  }
  return parsed(event);
}

/**
 * `(cache) 'evil.example/A/IN' denied[ (allow-query-cache did not match)]`: a refused query, as BIND and
 * the BIND inside Infoblox NIOS log it. `format` names the parser; `isType` is its record-type check.
 */
export function refusalEvent(
  body: string,
  ts: string,
  srcIp: string,
  clientQname: string | null,
  format: string = FORMAT,
  isType: (t: string) => boolean = (t) => DNS_TYPE_RE.test(t),
): ParseResult {
  const open = body.indexOf("'");
  const close = body.lastIndexOf("'");
  if (open === -1 || close <= open) return rejected("not a query log line: expected query 'NAME/TYPE/CLASS' denied");
  // `approved` lines (debug level) repeat a query the query log already has; only refusals add facts.
  if (!body.startsWith('denied', close + 2)) return rejected('not a query log line: security line other than denied');
  const triple = body.slice(open + 1, close);
  const classSlash = triple.lastIndexOf('/');
  const typeSlash = classSlash > 0 ? triple.lastIndexOf('/', classSlash - 1) : -1;
  if (typeSlash <= 0) return rejected("bad query: expected 'NAME/TYPE/CLASS'");
  const dnsType = triple.slice(typeSlash + 1, classSlash);
  if (!isType(dnsType)) return rejected('bad query type');
  if (!DNS_CLASS_RE.test(triple.slice(classSlash + 1))) return rejected('bad query class');
  const event = emptyEvent('dns', format, ts);
  event.srcIp = srcIp;
  event.host = normalizeHostname(clientQname ?? triple.slice(0, typeSlash));
  event.dnsType = dnsType;
  event.action = 'blocked';
  return parsed(event);
}

function receivedTs(receivedAt: Date): string | undefined {
  const ms = receivedAt.getTime();
  return Number.isNaN(ms) ? undefined : isoTimestamp(ms);
}

/**
 * The leading timestamp: `25-Nov-2026 10:00:00.123` (print-time yes/local) or ISO 8601
 * `2026-11-25T10:00:00.123[Z]` (print-time iso8601 / iso8601-utc).
 * TRICKY: except for iso8601-utc, BIND prints the server's local time with no zone: the source's
 * configured zone (createBindParser) converts it; without one it is read as UTC.
 */
function readTimestamp(line: string): { ms: number; end: number; utc: boolean } | undefined {
  let ms: number | undefined;
  let end: number;
  let utc = false;
  if (line[2] === '-' && line[6] === '-' && line[11] === ' ' && line[14] === ':' && line[17] === ':') {
    const month0 = monthIndex(line.slice(3, 6));
    if (month0 === undefined) return undefined;
    end = 20;
    let millis = 0;
    if (line[20] === '.') {
      millis = digitsAt(line, 21, 3);
      end = 24;
    }
    ms = utcMillis(
      digitsAt(line, 7, 4), month0, digitsAt(line, 0, 2), digitsAt(line, 12, 2), digitsAt(line, 15, 2),
      digitsAt(line, 18, 2), millis,
    );
  } else if (line[4] === '-' && line[7] === '-' && line[10] === 'T' && line[13] === ':' && line[16] === ':') {
    end = 19;
    let millis = 0;
    if (line[19] === '.') {
      millis = digitsAt(line, 20, 3);
      end = 23;
    }
    if (line[end] === 'Z') {
      end++;
      utc = true;
    }
    ms = utcMillis(
      digitsAt(line, 0, 4), digitsAt(line, 5, 2) - 1, digitsAt(line, 8, 2), digitsAt(line, 11, 2),
      digitsAt(line, 14, 2), digitsAt(line, 17, 2), millis,
    );
  } else {
    return undefined;
  }
  if (ms === undefined || (end < line.length && line[end] !== ' ')) return undefined;
  return { ms, end, utc };
}
