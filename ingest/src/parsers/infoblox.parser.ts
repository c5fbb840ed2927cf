/**
 * Infoblox NIOS DNS query logging, as NIOS sends it by syslog (named's query log in a syslog envelope):
 *
 *   `<30>Nov 25 10:00:00 ns1 named[1234]: client 10.1.2.3#53211: query: chatgpt.com IN A + (10.0.0.53)`
 *   `<30>Nov 25 10:00:00 ns1 named[1234]: client @0x7f2a4c0a1b10 10.1.2.3#53211 (chatgpt.com): query: chatgpt.com IN A +E(0) (10.0.0.53)`
 *
 * The envelope may be RFC 3164 (no year: receivedAt's; local time: opts.timeZone), RFC 3339, RFC 5424, or
 * absent; NIOS's own variants put facility/severity words before the program (`daemon info named[…]:`). A
 * BIND timestamp (`25-Nov-2026 10:00:00.123`) before `client` wins over the envelope time; with neither the
 * line's time is receivedAt. After the client part there may be `view NAME:`.
 *
 * - query line → host, dnsType, srcIp, destIp (the address the query arrived on).
 * - NIOS response logging: `client 10.1.2.3#53211 UDP: query: chatgpt.com IN A response: NOERROR +AED chatgpt.com. 300 IN A 104.18.32.47;`
 *   → the same plus dnsRcode. With both query and response logging on, each query shows up twice: once a
 *   stream has shown a query line, response lines are skipped so the query counts once.
 * - refusal: `query (cache) 'evil.example/A/IN' denied` → action `blocked`.
 * Other named lines (rpz, lame servers, transfers) are rejected. RPZ hits, which NIOS logs in CEF, belong to
 * the `cef` format.
 */
import { emptyEvent, parsed, rejected, skipLine, type ParseResult, type ParserFactory } from '@shadow-ai/core';
import {
  CONTROL_CHARS_RE, digitsAt, ipOrNull, ipVersion, isDigits, isoTimestamp, monthIndex, normalizeHostname,
} from './fields.util.ts';
import { DNS_CLASS_RE, dnsRcodeFromText, dnsTypeFromText, receivedTs, resolveTimeZone, tokenEnd, wallToUtc } from './common.util.ts';
import { readSyslogHeader } from './syslog.util.ts';
import { refusalEvent } from './bind.parser.ts';

/** A record type written as its canonical mnemonic (or TYPEnnn), as NIOS logs it. */
const isInfobloxType = (t: string): boolean => dnsTypeFromText(t) === t;

export const INFOBLOX_FORMAT = 'infoblox';

/** Host, facility, severity, program, BIND date and time, category: at most this many words before `client`. */
const MAX_PREFIX_WORDS = 7;

/** Stateful (query/response pairing): one instance per stream. */
export const createInfobloxParser: ParserFactory = (opts) => {
  const zone = resolveTimeZone(opts, INFOBLOX_FORMAT);
  let sawQueryLine = false;
  return (rawLine, ctx) => {
    const line = rawLine.trim();
    if (line.length === 0) return rejected('empty line');
    if (CONTROL_CHARS_RE.test(line)) return rejected('binary or control characters in line');
    const header = readSyslogHeader(line, zone, ctx.receivedAt);
    if (typeof header === 'string') return rejected(header);
    const clientAt = findClient(line, header.pos);
    if (clientAt === NO_CLIENT) return rejected('not a query log line: no "client" part');
    if (clientAt === BAD_CLIENT) return rejected('bad client address: expected IP#PORT after "client"');
    const words = line.slice(header.pos, clientAt).split(' ').filter((w) => w !== '');
    if (words.length > MAX_PREFIX_WORDS) return rejected('unsupported layout: unexpected text before "client"');
    let ms = header.ms;
    for (let i = 0; i + 1 < words.length; i++) {
      const bindMs = bindTime(words[i] ?? '', words[i + 1] ?? '', zone);
      if (bindMs === undefined) return rejected('bad timestamp: expected dd-Mon-yyyy HH:MM:SS.mmm');
      if (bindMs !== null) ms = bindMs;
    }
    const ts = ms !== null ? isoTimestamp(ms) : receivedTs(ctx.receivedAt);
    if (ts === undefined) return rejected('no timestamp in the line and receivedAt is not a valid date');

    const tokens = line.slice(clientAt + 7).split(' ').filter((w) => w !== '');
    let t = 0;
    if (tokens[t]?.charCodeAt(0) === 64 /* @ */) t++;
    let peer = tokens[t++] ?? '';
    let clientPartDone = peer.endsWith(':');
    if (clientPartDone) peer = peer.slice(0, -1);
    if (peer.endsWith('/key')) {
      peer = peer.slice(0, -4);
      const key = tokens[t++] ?? '';
      clientPartDone = key.endsWith(':');
    }
    const hash = peer.lastIndexOf('#');
    if (hash <= 0 || !isDigits(peer.slice(hash + 1)) || ipVersion(peer.slice(0, hash)) === 0) {
      return rejected('bad client address: expected IP#PORT');
    }
    const srcIp = peer.slice(0, hash);
    let clientQname: string | null = null;
    const next = tokens[t] ?? '';
    if (!clientPartDone && next.charCodeAt(0) === 40 /* ( */ && next.endsWith('):')) {
      clientQname = next.slice(1, -2);
      t++;
    }
    if (tokens[t] === 'UDP:' || tokens[t] === 'TCP:') t++;
    if (tokens[t] === 'view') {
      while (t < tokens.length && !(tokens[t] ?? '').endsWith(':')) t++;
      t++;
    }
    const verb = tokens[t++];
    if (verb === 'query:') {
      const result = queryEvent(tokens, t, ts, srcIp);
      if (!result.ok || result.event.dnsRcode === null) {
        if (result.ok) sawQueryLine = true;
        return result;
      }
      return sawQueryLine ? skipLine('response already counted by its query line') : result;
    }
    if (verb === 'query') return refusalEvent(tokens.slice(t).join(' '), ts, srcIp, clientQname, INFOBLOX_FORMAT, isInfobloxType);
    return rejected(`not a query log line${verb ? `: ${verb.length > 30 ? verb.slice(0, 30) : verb} line` : ''}`);
  };
};

const NO_CLIENT = -1;
const BAD_CLIENT = -2;

/**
 * Where the `client ` word that starts the client part is: the one followed by `@0x…` or an `IP#PORT` token
 * (a host named `client` in the envelope does not count). NO_CLIENT when the word is absent, BAD_CLIENT when
 * it is there but followed by no address.
 */
function findClient(line: string, from: number): number {
  let found = NO_CLIENT;
  for (let at = line.indexOf('client ', from); at !== -1; at = line.indexOf('client ', at + 7)) {
    if (at > 0 && line.charCodeAt(at - 1) !== 32) continue;
    const next = at + 7;
    const end = tokenEnd(line, next);
    if (line.charCodeAt(next) === 64 /* @ */ || line.lastIndexOf('#', end) > next) return at;
    found = BAD_CLIENT;
  }
  return found;
}

/** `NAME CLASS TYPE FLAGS (SERVER)` or `NAME CLASS TYPE response: RCODE FLAGS ANSWERS…` from token `t`. */
function queryEvent(tokens: readonly string[], t: number, ts: string, srcIp: string): ParseResult {
  const name = tokens[t] ?? '';
  const dnsClass = tokens[t + 1] ?? '';
  const type = tokens[t + 2] ?? '';
  if (type === '') return rejected('truncated query: expected NAME CLASS TYPE');
  if (!DNS_CLASS_RE.test(dnsClass)) return rejected('bad query class');
  const dnsType = dnsTypeFromText(type);
  if (dnsType === undefined || dnsType !== type) return rejected('bad query type');
  const event = emptyEvent('dns', INFOBLOX_FORMAT, ts);
  event.srcIp = srcIp;
  event.host = normalizeHostname(name);
  event.dnsType = dnsType;
  if (tokens[t + 3] === 'response:') {
    const rcode = dnsRcodeFromText(tokens[t + 4] ?? '');
    if (rcode === undefined) return rejected('bad response code');
    event.dnsRcode = rcode;
    return parsed(event);
  }
  for (let i = t + 3; i < tokens.length; i++) {
    const part = tokens[i] ?? '';
    if (part.charCodeAt(0) === 40 /* ( */ && part.endsWith(')')) {
      event.destIp = ipOrNull(part.slice(1, -1));
      break;
    }
  }
  return parsed(event);
}


/**
 * `25-Nov-2026` + `10:00:00.123` → epoch ms in `zone`; null when `date` is not shaped like that date;
 * undefined when it is but the values are wrong.
 */
function bindTime(date: string, time: string, zone: string): number | null | undefined {
  if (date.length !== 11 || date[2] !== '-' || date[6] !== '-') return null;
  const month0 = monthIndex(date.slice(3, 6));
  if (month0 === undefined) return null;
  if (time.length < 8 || time[2] !== ':' || time[5] !== ':') return undefined;
  let millis = 0;
  if (time.length === 12 && time[8] === '.') millis = digitsAt(time, 9, 3);
  else if (time.length !== 8) return undefined;
  const day = digitsAt(date, 0, 2);
  const year = digitsAt(date, 7, 4);
  const hour = digitsAt(time, 0, 2);
  const minute = digitsAt(time, 3, 2);
  const second = digitsAt(time, 6, 2);
  if (day < 0 || year < 0 || hour < 0 || minute < 0 || second < 0 || millis < 0) return undefined;
  return wallToUtc(zone, year, month0, day, hour, minute, second, millis);
}
