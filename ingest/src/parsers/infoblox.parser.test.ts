import { describe, expect, it } from 'vitest';
import { INFOBLOX_FORMAT, createInfobloxParser } from './infoblox.parser.ts';
import { assertNeverThrows, ctxAt, eventWith, okEvent, rejectReason, skipReason } from './parser-test.util.ts';

const RECEIVED = '2026-11-25T10:00:05.000Z';
const ctx = ctxAt(RECEIVED);

const OLD_STYLE = '<30>Nov 25 10:00:00 ns1 named[1234]: client 10.1.2.3#53211: query: chatgpt.com IN A + (10.0.0.53)';
const NEW_STYLE = '<30>Nov 25 10:00:00 ns1.corp.example named[1234]: client @0x7f2a4c0a1b10 10.1.2.3#53211 '
  + '(ChatGPT.com): query: ChatGPT.com IN A +E(0) (10.0.0.53)';
const RESPONSE = '<30>Nov 25 10:00:01 ns1 named[1234]: client 10.1.2.4#57398 UDP: query: claude.ai IN AAAA '
  + 'response: NXDOMAIN +ED claude.ai. 28800 IN SOA ns.claude.ai. admin.claude.ai. 1 2 3 4 5;';
const BARE = 'client 2001:db8::5#41000 (api.openai.com): view internal: query: api.openai.com IN HTTPS -E(0)DC (2001:db8::53)';
const DENIED = "Nov 25 10:00:02 ns1 named[1234]: client @0x7f00 10.1.2.3#5353 (evil.example): query (cache) "
  + "'evil.example/A/IN' denied";

describe('infoblox — query lines', () => {
  it('maps the classic client IP#PORT: form with a syslog header', () => {
    expect(okEvent(createInfobloxParser()(OLD_STYLE, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:00.000Z', kind: 'dns', format: INFOBLOX_FORMAT, srcIp: '10.1.2.3', host: 'chatgpt.com',
      destIp: '10.0.0.53', dnsType: 'A',
    }));
  });

  it('maps the client @0x… IP#PORT (name): form and lowercases the name', () => {
    expect(okEvent(createInfobloxParser()(NEW_STYLE, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:00.000Z', kind: 'dns', format: INFOBLOX_FORMAT, srcIp: '10.1.2.3', host: 'chatgpt.com',
      destIp: '10.0.0.53', dnsType: 'A',
    }));
  });

  it('uses receivedAt without a header, with IPv6 and a view', () => {
    expect(okEvent(createInfobloxParser()(BARE, ctx))).toEqual(eventWith({
      ts: RECEIVED, kind: 'dns', format: INFOBLOX_FORMAT, srcIp: '2001:db8::5', host: 'api.openai.com',
      destIp: '2001:db8::53', dnsType: 'HTTPS',
    }));
  });

  it('reads the header time in opts.timeZone and the year from receivedAt', () => {
    expect(okEvent(createInfobloxParser({ timeZone: 'Europe/Berlin' })(OLD_STYLE, ctx)).ts).toBe('2026-11-25T09:00:00.000Z');
    const january = ctxAt('2027-01-01T00:10:00.000Z');
    expect(okEvent(createInfobloxParser()(OLD_STYLE.replace('Nov 25', 'Dec 31'), january)).ts)
      .toBe('2026-12-31T10:00:00.000Z');
  });

  it('prefers a BIND timestamp before client over the syslog header', () => {
    const line = '<30>Nov 25 10:00:09 ns1 named[1234]: 25-Nov-2026 10:00:00.123 queries: info: '
      + 'client 10.1.2.3#53211 (x.ai): query: x.ai IN A + (10.0.0.53)';
    expect(okEvent(createInfobloxParser()(line, ctx)).ts).toBe('2026-11-25T10:00:00.123Z');
  });

  it('accepts RFC 3339 and RFC 5424 envelopes and NIOS facility/severity words', () => {
    const parse = createInfobloxParser();
    expect(okEvent(parse('2026-11-25T11:00:00+01:00 daemon info named[1234]: client 10.1.2.3#5: query: x.ai IN A +', ctx)).ts)
      .toBe('2026-11-25T10:00:00.000Z');
    expect(okEvent(parse('<30>1 2026-11-25T10:00:00.5Z ns1 named 1234 - - client 10.1.2.3#5: query: x.ai IN A +', ctx)).ts)
      .toBe('2026-11-25T10:00:00.500Z');
  });

  it('is not fooled by a syslog host named client', () => {
    const line = '<30>Nov 25 10:00:00 client named[1234]: client 10.1.2.3#53211: query: x.ai IN A + (10.0.0.53)';
    expect(okEvent(createInfobloxParser()(line, ctx))).toMatchObject({ srcIp: '10.1.2.3', host: 'x.ai' });
  });

  it('accepts a TSIG-signed client', () => {
    const line = 'client 10.1.2.3#5353/key ddns-key: query: x.ai IN A + (10.0.0.53)';
    expect(okEvent(createInfobloxParser()(line, ctx)).host).toBe('x.ai');
  });

  it('maps a refusal as blocked', () => {
    expect(okEvent(createInfobloxParser()(DENIED, ctx))).toMatchObject({
      host: 'evil.example', dnsType: 'A', action: 'blocked', srcIp: '10.1.2.3',
    });
  });
});

describe('infoblox — response logging', () => {
  it('maps a response line with its rcode', () => {
    expect(okEvent(createInfobloxParser()(RESPONSE, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:01.000Z', kind: 'dns', format: INFOBLOX_FORMAT, srcIp: '10.1.2.4', host: 'claude.ai',
      dnsType: 'AAAA', dnsRcode: 'NXDOMAIN',
    }));
  });

  it('skips response lines once the stream has shown query lines, so a query counts once', () => {
    const parse = createInfobloxParser();
    expect(okEvent(parse(RESPONSE, ctx)).dnsRcode).toBe('NXDOMAIN');
    okEvent(parse(OLD_STYLE, ctx));
    expect(skipReason(parse(RESPONSE, ctx))).toMatch(/already counted/);
  });

  it('rejects a response line with a bad rcode', () => {
    expect(rejectReason(createInfobloxParser()(RESPONSE.replace('NXDOMAIN', 'MAYBE'), ctx))).toBe('bad response code');
  });
});

describe('infoblox — unhappy paths and robustness', () => {
  it('rejects non-query named lines and other text with a reason', () => {
    const parse = createInfobloxParser();
    expect(rejectReason(parse('<30>Nov 25 10:00:00 ns1 named[1234]: client @0x1 10.1.2.3#5 (x.ai): rpz QNAME NXDOMAIN '
      + 'rewrite x.ai/A/IN via x.ai.rpz.corp', ctx))).toMatch(/not a query log line: rpz line/);
    expect(rejectReason(parse('<30>Nov 25 10:00:00 ns1 named[1234]: zone corp.example/IN: loaded serial 42', ctx)))
      .toMatch(/no "client" part/);
    expect(rejectReason(parse('', ctx))).toBe('empty line');
    expect(rejectReason(parse('client\u0000', ctx))).toMatch(/control characters/);
  });

  it('rejects malformed client, class, type and timestamps', () => {
    const parse = createInfobloxParser();
    expect(rejectReason(parse(OLD_STYLE.replace('10.1.2.3#53211', '10.1.2.3'), ctx))).toMatch(/bad client address/);
    expect(rejectReason(parse(OLD_STYLE.replace('IN A', 'XX A'), ctx))).toBe('bad query class');
    expect(rejectReason(parse(OLD_STYLE.replace('IN A', 'IN a'), ctx))).toBe('bad query type');
    expect(rejectReason(parse(OLD_STYLE.replace('chatgpt.com IN A + (10.0.0.53)', 'chatgpt.com'), ctx))).toMatch(/truncated/);
    expect(rejectReason(parse(OLD_STYLE.replace('Nov 25 10:00:00', 'Nov 25 25:00:00'), ctx))).toMatch(/^bad timestamp/);
    expect(rejectReason(parse('25-Nov-2026 10:0 client 10.1.2.3#5: query: x.ai IN A +', ctx))).toMatch(/^bad timestamp/);
    expect(rejectReason(parse(`a b c d e f g h ${BARE}`, ctx))).toMatch(/unexpected text before/);
  });

  it('uses receivedAt only when it is a valid date', () => {
    expect(rejectReason(createInfobloxParser()(BARE, { receivedAt: new Date(Number.NaN) }))).toMatch(/receivedAt/);
  });

  it('never throws on arbitrary strings or mutated lines', () => {
    assertNeverThrows(createInfobloxParser, INFOBLOX_FORMAT, [OLD_STYLE, NEW_STYLE, RESPONSE, BARE, DENIED], ctx);
  });
});
