import { describe, expect, it } from 'vitest';
import { UNBOUND_FORMAT, createUnboundParser } from './unbound.parser.ts';
import { assertNeverThrows, ctxAt, eventWith, okEvent, rejectReason, skipReason } from './parser-test.util.ts';

const RECEIVED = '2026-11-25T10:00:09.000Z';
const ctx = ctxAt(RECEIVED);

const EPOCH_QUERY = '[1795600800] unbound[1234:0] info: 10.1.2.3 chatgpt.com. A IN';
const ASCII_QUERY = 'Nov 25 10:00:00 unbound[1234:3] info: 2001:db8::5 API.OpenAI.com. AAAA IN';
const ISO_TAGGED = '2026-11-25T11:00:00.250+01:00 unbound[1234:1] query: 10.1.2.4 claude.ai. HTTPS IN';
const SYSLOG_QUERY = '<30>Nov 25 10:00:00 resolver1 unbound: [1234:0] info: 10.1.2.3 gemini.google.com. A IN';
const REPLY = '[1795600801] unbound[1234:0] info: 10.1.2.3 chatgpt.com. A IN NOERROR 0.012345 0 61';
const TAGGED_REPLY = '[1795600801] unbound[1234:0] reply: 10.1.2.5 copilot.microsoft.com. A IN NXDOMAIN 0.000123 1 120';
const DESTADDR_REPLY = '[1795600801] unbound[1234:0] reply: 10.1.2.5 x.ai. A IN SERVFAIL 1.500000 0 30 on udp 10.0.0.53 53';
const FORMERR = '[1795600801] unbound[1234:0] info: 10.1.2.6 - - - FORMERR - - -';

describe('unbound — queries', () => {
  it('maps a query line with an epoch timestamp', () => {
    expect(okEvent(createUnboundParser()(EPOCH_QUERY, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:00.000Z', kind: 'dns', format: UNBOUND_FORMAT, srcIp: '10.1.2.3', host: 'chatgpt.com',
      dnsType: 'A',
    }));
  });

  it('reads log-time-ascii in opts.timeZone with the year from receivedAt, and IPv6 clients', () => {
    expect(okEvent(createUnboundParser({ timeZone: 'Asia/Tokyo' })(ASCII_QUERY, ctx))).toMatchObject({
      ts: '2026-11-25T01:00:00.000Z', srcIp: '2001:db8::5', host: 'api.openai.com', dnsType: 'AAAA',
    });
  });

  it('reads log-time-iso with log-tag-queryreply', () => {
    expect(okEvent(createUnboundParser()(ISO_TAGGED, ctx))).toMatchObject({
      ts: '2026-11-25T10:00:00.250Z', host: 'claude.ai', dnsType: 'HTTPS',
    });
  });

  it('reads the use-syslog form', () => {
    expect(okEvent(createUnboundParser()(SYSLOG_QUERY, ctx))).toMatchObject({
      ts: '2026-11-25T10:00:00.000Z', host: 'gemini.google.com', srcIp: '10.1.2.3',
    });
  });

  it('keeps a custom log-identity, and leaves the null name and escaped names without host', () => {
    const parse = createUnboundParser();
    expect(okEvent(parse(EPOCH_QUERY.replace('unbound[', 'resolver-a['), ctx)).host).toBe('chatgpt.com');
    expect(okEvent(parse(EPOCH_QUERY.replace('chatgpt.com.', 'null'), ctx)).host).toBeNull();
    expect(okEvent(parse(EPOCH_QUERY.replace('chatgpt.com.', 'we\\032ird.example.'), ctx)).host).toBeNull();
    expect(okEvent(parse(EPOCH_QUERY.replace('A IN', 'TYPE65534 IN'), ctx)).dnsType).toBe('TYPE65534');
  });
});

describe('unbound — replies', () => {
  it('maps a log-replies line with its rcode', () => {
    expect(okEvent(createUnboundParser()(REPLY, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:01.000Z', kind: 'dns', format: UNBOUND_FORMAT, srcIp: '10.1.2.3', host: 'chatgpt.com',
      dnsType: 'A', dnsRcode: 'NOERROR',
    }));
    expect(okEvent(createUnboundParser()(TAGGED_REPLY, ctx)).dnsRcode).toBe('NXDOMAIN');
  });

  it('maps the log-destaddr tail to destIp and destPort', () => {
    expect(okEvent(createUnboundParser()(DESTADDR_REPLY, ctx))).toMatchObject({
      dnsRcode: 'SERVFAIL', destIp: '10.0.0.53', destPort: 53,
    });
  });

  it('maps a FORMERR reply, which has no name, type or class', () => {
    expect(okEvent(createUnboundParser()(FORMERR, ctx))).toMatchObject({
      srcIp: '10.1.2.6', host: null, dnsType: null, dnsRcode: 'FORMERR',
    });
  });

  it('skips replies once the stream has shown query lines, so a query counts once', () => {
    const parse = createUnboundParser();
    expect(okEvent(parse(REPLY, ctx)).dnsRcode).toBe('NOERROR');
    okEvent(parse(EPOCH_QUERY, ctx));
    expect(skipReason(parse(REPLY, ctx))).toMatch(/already counted/);
  });
});

describe('unbound — other lines, unhappy paths, robustness', () => {
  it('skips Unbound messages that are not queries or replies', () => {
    const parse = createUnboundParser();
    expect(skipReason(parse('[1795600800] unbound[1234:0] notice: init module 0: validator', ctx))).toMatch(/notice/);
    expect(skipReason(parse('[1795600800] unbound[1234:0] info: resolving chatgpt.com. A IN', ctx))).toMatch(/info message/);
    expect(skipReason(parse('[1795600800] unbound[1234:0] debug: udp request from ip4 10.1.2.3 port 41593', ctx))).toBeTruthy();
    expect(skipReason(parse('[1795600800] unbound[1234:0] info: chatgpt.com. always_nxdomain 10.1.2.3@53211 chatgpt.com. A IN', ctx)))
      .toBeTruthy();
  });

  it('rejects text that is not an Unbound line, and malformed query or reply lines', () => {
    const parse = createUnboundParser();
    expect(rejectReason(parse('hello world', ctx))).toMatch(/not an Unbound log line/);
    expect(rejectReason(parse('[17956008x0] unbound[1234:0] info: 10.1.2.3 chatgpt.com. A IN', ctx))).toMatch(/^bad timestamp/);
    expect(rejectReason(parse(EPOCH_QUERY.replace(' IN', ''), ctx))).toMatch(/malformed query line/);
    expect(rejectReason(parse(EPOCH_QUERY.replace('A IN', 'a IN'), ctx))).toBe('bad query type');
    expect(rejectReason(parse(EPOCH_QUERY.replace('A IN', 'A XX'), ctx))).toBe('bad query class');
    expect(rejectReason(parse(REPLY.replace('NOERROR', 'WHATEVER'), ctx))).toBe('bad reply rcode');
    expect(rejectReason(parse(REPLY.replace('0.012345', 'soon'), ctx))).toMatch(/bad resolve time/);
    expect(rejectReason(parse(REPLY.replace(' 61', ' 61 extra'), ctx))).toMatch(/malformed reply line/);
    expect(rejectReason(parse('query: 10.1.2.3 x.ai. A IN', ctx))).toMatch(/not an Unbound/);
    expect(rejectReason(parse('Nov 25 99:00:00 unbound[1:0] info: 10.1.2.3 x.ai. A IN', ctx))).toMatch(/^bad timestamp/);
    expect(rejectReason(parse('', ctx))).toBe('empty line');
  });

  it('never throws on arbitrary strings or mutated lines', () => {
    assertNeverThrows(createUnboundParser, UNBOUND_FORMAT,
      [EPOCH_QUERY, ASCII_QUERY, ISO_TAGGED, SYSLOG_QUERY, REPLY, TAGGED_REPLY, DESTADDR_REPLY, FORMERR], ctx);
  });
});
