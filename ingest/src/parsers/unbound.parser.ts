/**
 * Unbound query and reply logging (`log-queries: yes`, `log-replies: yes`):
 *
 *   `[1732528800] unbound[1234:0] info: 10.1.2.3 chatgpt.com. A IN`                    (logfile, epoch time)
 *   `Nov 25 10:00:00 unbound[1234:0] info: 10.1.2.3 chatgpt.com. A IN`                 (log-time-ascii: local time)
 *   `2026-11-25T10:00:00.123+01:00 unbound[1234:0] query: 10.1.2.3 chatgpt.com. A IN`  (log-time-iso, log-tag-queryreply)
 *   `Nov 25 10:00:00 host unbound: [1234:0] info: …`                                   (use-syslog)
 *   reply: `CLIENT NAME TYPE CLASS RCODE SECONDS CACHED SIZE[ on PROTO ADDR PORT]` (the tail with log-destaddr)
 *
 * query → host, dnsType, srcIp; reply → the same plus dnsRcode (and destIp/destPort with log-destaddr).
 * With both options on, each query is logged twice: once a stream has shown a query line, reply lines are
 * skipped so the query counts once (the rcode is then not kept). Other Unbound messages (`notice:`,
 * `debug:`, `info: resolving …`, local-zone actions) are skipped; text that is no Unbound log line is
 * rejected. Times without offset are local: opts.timeZone; a missing year comes from receivedAt.
 */
import { emptyEvent, parsed, rejected, skipLine, type ParserFactory } from '@shadow-ai/core';
import { CONTROL_CHARS_RE, ipOrNull, ipVersion, isDigits, isoTimestamp, normalizeHostname } from './fields.util.ts';
import {
  DNS_CLASS_RE, dnsRcodeFromText, dnsTypeFromText, parsePortText, receivedTs, resolveTimeZone, skipBlanks, tokenEnd,
  validEpochMs,
} from './common.util.ts';
import { readSyslogHeader } from './syslog.util.ts';

export const UNBOUND_FORMAT = 'unbound';

const QUERY_TAGS: ReadonlySet<string> = new Set(['info:', 'query:', 'reply:']);
const OTHER_TAGS: ReadonlySet<string> = new Set(['debug:', 'notice:', 'warning:', 'error:', 'fatal', 'operational:']);
/** `1.000123`: seconds.microseconds as Unbound prints the resolve time. */
const DURATION_RE = /^\d{1,10}\.\d{6}$/;

/** Stateful (query/reply pairing): one instance per stream. */
export const createUnboundParser: ParserFactory = (opts) => {
  const zone = resolveTimeZone(opts, UNBOUND_FORMAT);
  let sawQuery = false;
  return (rawLine, ctx) => {
    const line = rawLine.trim();
    if (line.length === 0) return rejected('empty line');
    if (CONTROL_CHARS_RE.test(line)) return rejected('binary or control characters in line');

    let ms: number | null = null;
    let pos: number;
    if (line.charCodeAt(0) === 91 /* [ */) {
      // Only Unbound's own logfile starts a line with `[`: the epoch seconds.
      const close = line.indexOf(']');
      const seconds = close === -1 ? '' : line.slice(1, close);
      ms = seconds.length <= 11 && isDigits(seconds) ? Number(seconds) * 1000 : Number.NaN;
      if (!validEpochMs(ms)) return rejected('bad timestamp: expected [epoch seconds]');
      pos = skipBlanks(line, close + 1);
    } else {
      const header = readSyslogHeader(line, zone, ctx.receivedAt);
      if (typeof header === 'string') return rejected(header);
      ms = header.ms;
      pos = header.pos;
    }

    // `unbound[pid:tid] TAG:`, `HOST unbound: [pid:tid] TAG:` or `HOST unbound[pid]: [pid:tid] TAG:`.
    let tag = '';
    let previous = '';
    for (let n = 0; n < 4 && pos < line.length; n++) {
      const end = tokenEnd(line, pos);
      const word = line.slice(pos, end);
      pos = skipBlanks(line, end);
      if ((QUERY_TAGS.has(word) || OTHER_TAGS.has(word)) && previous.endsWith(']')) {
        tag = word;
        break;
      }
      previous = word;
    }
    if (tag === '') return rejected('not an Unbound log line: no "ident[pid:thread] info:" part');
    if (!QUERY_TAGS.has(tag)) return skipLine(`Unbound ${tag.slice(0, -1)} message: not a query or reply`);
    const ts = ms !== null ? isoTimestamp(ms) : receivedTs(ctx.receivedAt);
    if (ts === undefined) return rejected('no timestamp in the line and receivedAt is not a valid date');

    const f = line.slice(pos).split(' ');
    const [client = '', name = '', type = '', dnsClass = ''] = f;
    if (ipVersion(client) === 0) {
      if (tag === 'info:') return skipLine('Unbound info message: not a query or reply');
      return rejected('bad client address');
    }
    const reply = tag === 'reply:' || (tag === 'info:' && f.length >= 8);
    if (!reply && f.length !== 4) return rejected('malformed query line: expected CLIENT NAME TYPE CLASS');
    if (reply && f.length !== 8 && !(f.length === 12 && f[8] === 'on')) {
      return rejected('malformed reply line: expected CLIENT NAME TYPE CLASS RCODE TIME CACHED SIZE');
    }

    const event = emptyEvent('dns', UNBOUND_FORMAT, ts);
    event.srcIp = client;
    const formerr = reply && name === '-' && type === '-' && dnsClass === '-';
    if (!formerr) {
      const dnsType = dnsTypeFromText(type);
      if (dnsType === undefined || dnsType !== type) return rejected('bad query type');
      if (!DNS_CLASS_RE.test(dnsClass)) return rejected('bad query class');
      event.dnsType = dnsType;
      // Unbound writes `null` for a query without a name.
      event.host = name === 'null' ? null : normalizeHostname(name);
    }
    if (!reply) {
      sawQuery = true;
      return parsed(event);
    }
    const rcode = dnsRcodeFromText(f[4] ?? '');
    if (rcode === undefined) return rejected('bad reply rcode');
    if (!formerr && (!DURATION_RE.test(f[5] ?? '') || (f[6] !== '0' && f[6] !== '1') || !isDigits(f[7] ?? ''))) {
      return rejected('malformed reply line: bad resolve time, cached flag or size');
    }
    if (sawQuery) return skipLine('reply to a query already counted by its query line');
    event.dnsRcode = rcode;
    if (f.length === 12) {
      event.destIp = ipOrNull(f[10] ?? '');
      event.destPort = parsePortText(f[11] ?? '') ?? null;
    }
    return parsed(event);
  };
};
