import { describe, expect, it } from 'vitest';
import { DNSMASQ_FORMAT, createDnsmasqParser } from './dnsmasq.parser.ts';
import { assertNeverThrows, ctxAt, eventWith, okEvent, rejectReason, skipReason } from './parser-test.util.ts';

const RECEIVED = '2026-11-25T10:00:09.000Z';
const ctx = ctxAt(RECEIVED);
const parse = createDnsmasqParser();

const QUERY = 'Nov 25 10:00:00 dnsmasq[1234]: query[A] chatgpt.com from 10.1.2.3';
const SYSLOG = '<30>Nov 25 10:00:01 router dnsmasq[1234]: query[AAAA] Claude.AI from 2001:db8::5';
const EXTRA = 'Nov 25 10:00:02 dnsmasq[1234]: 42 10.1.2.4/53211 query[HTTPS] gemini.google.com from 10.1.2.4';
const PADDED_DAY = 'Nov  5 10:00:03 dnsmasq[1234]: query[type=65] x.ai from 10.1.2.3';
const FOLLOW_UPS = [
  'Nov 25 10:00:00 dnsmasq[1234]: forwarded chatgpt.com to 1.1.1.1',
  'Nov 25 10:00:00 dnsmasq[1234]: reply chatgpt.com is 104.18.32.47',
  'Nov 25 10:00:00 dnsmasq[1234]: cached chatgpt.com is 104.18.32.47',
  'Nov 25 10:00:00 dnsmasq[1234]: cached-stale chatgpt.com is 104.18.32.47',
  'Nov 25 10:00:00 dnsmasq[1234]: config chatgpt.com is NXDOMAIN',
  'Nov 25 10:00:00 dnsmasq[1234]: /etc/hosts router.lan is 192.168.1.1',
  'Nov 25 10:00:00 dnsmasq[1234]: 42 10.1.2.4/53211 forwarded chatgpt.com to 1.1.1.1',
  'Nov 25 10:00:00 dnsmasq[1234]: * 10.1.2.4/53211 dnssec-query[DS] com to 1.1.1.1',
  'Nov 25 10:00:00 dnsmasq[1234]: started, version 2.90 cachesize 150',
];

describe('dnsmasq — queries', () => {
  it('maps a query line from dnsmasq\'s own log file', () => {
    expect(okEvent(parse(QUERY, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:00.000Z', kind: 'dns', format: DNSMASQ_FORMAT, srcIp: '10.1.2.3', host: 'chatgpt.com',
      dnsType: 'A',
    }));
  });

  it('maps a query through syslog with host and an IPv6 client, lowercasing the name', () => {
    expect(okEvent(parse(SYSLOG, ctx))).toMatchObject({
      ts: '2026-11-25T10:00:01.000Z', srcIp: '2001:db8::5', host: 'claude.ai', dnsType: 'AAAA',
    });
  });

  it('maps the log-queries=extra form with serial and client/port', () => {
    expect(okEvent(parse(EXTRA, ctx))).toMatchObject({ srcIp: '10.1.2.4', host: 'gemini.google.com', dnsType: 'HTTPS' });
  });

  it('reads a space-padded day and numeric type=NN types', () => {
    expect(okEvent(parse(PADDED_DAY, ctx))).toMatchObject({ ts: '2026-11-05T10:00:03.000Z', dnsType: 'HTTPS' });
  });

  it('reads local times in opts.timeZone and takes the year from receivedAt (Dec lines read in Jan)', () => {
    expect(okEvent(createDnsmasqParser({ timeZone: 'America/Los_Angeles' })(QUERY, ctx)).ts).toBe('2026-11-25T18:00:00.000Z');
    expect(okEvent(parse(QUERY.replace('Nov 25', 'Dec 31'), ctxAt('2027-01-01T00:05:00Z'))).ts).toBe('2026-12-31T10:00:00.000Z');
  });

  it('accepts a December line when receivedAt is the epoch (format auto-detection)', () => {
    expect(parse(QUERY.replace('Nov 25', 'Dec 24'), { receivedAt: new Date(0) }).ok).toBe(true);
  });

  it('accepts RFC 3339 and RFC 5424 envelopes and a #port on the client', () => {
    expect(okEvent(parse('2026-11-25T10:00:00.123456+00:00 router dnsmasq[1234]: query[A] x.ai from 10.1.2.3#5353', ctx)))
      .toMatchObject({ ts: '2026-11-25T10:00:00.123Z', srcIp: '10.1.2.3' });
    expect(okEvent(parse('<30>1 2026-11-25T10:00:00Z router dnsmasq 1234 - - query[A] x.ai from 10.1.2.3', ctx)).host)
      .toBe('x.ai');
  });

  it('leaves host null for names that are not hostnames (the root)', () => {
    expect(okEvent(parse(QUERY.replace('chatgpt.com', '.'), ctx)).host).toBeNull();
  });
});

describe('dnsmasq — other lines, unhappy paths, robustness', () => {
  it('skips forwarded/reply/cached/config lines and other dnsmasq messages', () => {
    for (const line of FOLLOW_UPS) expect(skipReason(parse(line, ctx)), line).toMatch(/not a new query/);
    expect(skipReason(parse('Nov 25 10:00:00 dnsmasq-dhcp[1234]: DHCPACK(eth0) 192.168.1.20 aa:bb:cc:dd:ee:ff laptop', ctx)))
      .toMatch(/dnsmasq-dhcp line/);
  });

  it('rejects other programs and malformed query lines', () => {
    expect(rejectReason(parse('Nov 25 10:00:00 router named[99]: client 10.1.2.3#5: query: x.ai IN A +', ctx)))
      .toMatch(/program named/);
    expect(rejectReason(parse('query[A] chatgpt.com from 10.1.2.3', ctx))).toMatch(/no dnsmasq\[pid\]: tag/);
    expect(rejectReason(parse(QUERY.replace('query[A]', 'query[A'), ctx))).toMatch(/expected query\[TYPE\]/);
    expect(rejectReason(parse(QUERY.replace('query[A]', 'query[??]'), ctx))).toBe('bad query type');
    expect(rejectReason(parse(QUERY.replace(' from ', ' by '), ctx))).toMatch(/NAME from CLIENT/);
    expect(rejectReason(parse(QUERY.replace('10.1.2.3', 'laptop.lan'), ctx))).toBe('bad client address');
    expect(rejectReason(parse(QUERY.replace('10:00:00', '10:00'), ctx))).toMatch(/^bad timestamp/);
    expect(rejectReason(parse('', ctx))).toBe('empty line');
  });

  it('never throws on arbitrary strings or mutated lines', () => {
    assertNeverThrows(createDnsmasqParser, DNSMASQ_FORMAT, [QUERY, SYSLOG, EXTRA, PADDED_DAY, ...FOLLOW_UPS], ctx);
  });
});
