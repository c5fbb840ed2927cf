/**
 * dnsmasq query logging (`log-queries`), from its own log file or through syslog:
 *
 *   `Nov 25 10:00:00 dnsmasq[1234]: query[A] chatgpt.com from 10.1.2.3`
 *   `<30>Nov 25 10:00:00 router dnsmasq[1234]: query[AAAA] claude.ai from 2001:db8::5`
 *   `Nov 25 10:00:00 dnsmasq[1234]: 42 10.1.2.3/53211 query[A] chatgpt.com from 10.1.2.3`   (log-queries=extra)
 *
 * `query[TYPE] NAME from CLIENT` lines are the events (host, dnsType, srcIp). The lines that follow a query
 * (`forwarded`, `reply`, `cached`, `config`, `/etc/hosts`, `dnssec-query`, `validation` …), other dnsmasq
 * messages and the `dnsmasq-dhcp`/`-tftp`/`-script` lines are skipped: they are not new queries. Lines of
 * other programs are rejected. Times are local (opts.timeZone); the year comes from receivedAt.
 * dnsmasq logs no response code per query line, so dnsRcode is null.
 */
import { emptyEvent, parsed, rejected, skipLine, type ParserFactory } from '@shadow-ai/core';
import { CONTROL_CHARS_RE, ipVersion, isDigits, isoTimestamp, normalizeHostname } from './fields.util.ts';
import { dnsTypeFromText, receivedTs, resolveTimeZone, tokenEnd } from './common.util.ts';
import { readSyslogHeader, readTag } from './syslog.util.ts';

export const DNSMASQ_FORMAT = 'dnsmasq';

/** `10.1.2.3#53211` or `10.1.2.3/53211`: a port some builds append to the client. */
const PORT_SUFFIX_RE = /[#/]\d{1,5}$/;
const NON_DNS_IDENTS: ReadonlySet<string> = new Set(['dnsmasq-dhcp', 'dnsmasq-tftp', 'dnsmasq-script']);

/** Stateless; one closure per source because of the time zone. */
export const createDnsmasqParser: ParserFactory = (opts) => {
  const zone = resolveTimeZone(opts, DNSMASQ_FORMAT);
  return (rawLine, ctx) => {
    const line = rawLine.trim();
    if (line.length === 0) return rejected('empty line');
    if (CONTROL_CHARS_RE.test(line)) return rejected('binary or control characters in line');
    const header = readSyslogHeader(line, zone, ctx.receivedAt);
    if (typeof header === 'string') return rejected(header);
    let app: string | null;
    let pos: number;
    if (header.rfc5424) {
      app = header.app;
      pos = header.pos;
    } else {
      // TAG directly (dnsmasq's own file) or after the HOST of a syslog envelope.
      let tag = readTag(line, header.pos);
      if (tag === null && header.ms !== null) {
        let next = tokenEnd(line, header.pos);
        while (line.charCodeAt(next) === 32) next++;
        tag = readTag(line, next);
      }
      app = tag?.app ?? null;
      pos = tag?.end ?? header.pos;
    }
    if (app === null) return rejected('not a dnsmasq line: no dnsmasq[pid]: tag');
    if (NON_DNS_IDENTS.has(app)) return skipLine(`${app} line: not DNS`);
    if (app !== 'dnsmasq') return rejected(`not a dnsmasq line: program ${app.length > 30 ? app.slice(0, 30) : app}`);

    const f = line.slice(pos).split(' ');
    let t = 0;
    // log-queries=extra: serial number (or `*`) and CLIENT/PORT before the verb.
    if (f[t] === '*' || isDigits(f[t] ?? '')) t++;
    const origin = f[t] ?? '';
    const slash = origin.lastIndexOf('/');
    if (slash > 0 && isDigits(origin.slice(slash + 1)) && ipVersion(origin.slice(0, slash)) !== 0) t++;
    const verb = f[t] ?? '';
    if (!verb.startsWith('query[')) {
      const what = verb === '' ? 'empty message' : `${verb.length > 30 ? verb.slice(0, 30) : verb} line`;
      return skipLine(`dnsmasq ${what}: not a new query`);
    }
    if (!verb.endsWith(']')) return rejected('malformed query line: expected query[TYPE]');
    const dnsType = dnsTypeFromText(verb.slice(6, -1));
    if (dnsType === undefined) return rejected('bad query type');
    const name = f[t + 1] ?? '';
    if (f[t + 2] !== 'from' || f.length !== t + 4) return rejected('malformed query line: expected query[TYPE] NAME from CLIENT');
    let client = f[t + 3] ?? '';
    const cut = client.search(PORT_SUFFIX_RE);
    if (cut > 0 && ipVersion(client) === 0) client = client.slice(0, cut);
    if (ipVersion(client) === 0) return rejected('bad client address');

    const ts = header.ms !== null ? isoTimestamp(header.ms) : receivedTs(ctx.receivedAt);
    if (ts === undefined) return rejected('no timestamp in the line and receivedAt is not a valid date');
    const event = emptyEvent('dns', DNSMASQ_FORMAT, ts);
    event.srcIp = client;
    event.host = normalizeHostname(name);
    event.dnsType = dnsType;
    return parsed(event);
  };
};
