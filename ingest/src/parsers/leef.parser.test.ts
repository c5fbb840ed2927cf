import { describe, expect, it } from 'vitest';
import { LEEF_FORMAT, createLeefParser } from './leef.parser.ts';
import { assertNeverThrows, ctxAt, eventWith, okEvent, rejectReason } from './parser-test.util.ts';

const RECEIVED = '2026-11-25T10:00:09.000Z';
const ctx = ctxAt(RECEIVED);
const parse = createLeefParser();
const T = '\t';

const V1 = `<13>Nov 25 10:00:05 nss01 LEEF:1.0|Zscaler|NSSWeblog|6.2|Allowed|devTime=Nov 25 2026 10:00:00 UTC${T}`
  + `devTimeFormat=MMM dd yyyy HH:mm:ss z${T}src=10.1.2.3${T}dst=104.18.32.47${T}dstPort=443${T}`
  + `usrName=alice@corp.example${T}url=https://chatgpt.com/backend-api/conversation?model=gpt-4o${T}proto=TCP${T}`
  + `action=Allowed${T}bytesIn=51200${T}bytesOut=2048${T}userAgent=Mozilla/5.0 (X11; Linux x86_64)${T}method=POST`;
const V2_CARET = 'LEEF:2.0|Lancope|StealthWatch|1.0|41|^|devTime=1795600801000^src=10.0.1.8^dst=10.0.0.5^sev=5'
  + '^srcPort=81^dstPort=21^action=deny';
const V2_HEX = `LEEF:2.0|Forcepoint|Web Security|8.5|block|x09|devTime=2026-11-25 11:00:02.500${T}`
  + `devTimeFormat=yyyy-MM-dd HH:mm:ss.SSS${T}src=2001:db8::5${T}url=https://claude.ai/api/append_message${T}`
  + `usrName=CORP\\bob${T}action=Blocked${T}dhost=Claude.AI`;

describe('leef — mappings', () => {
  it('maps every field of a LEEF 1.0 web event with devTimeFormat', () => {
    expect(okEvent(parse(V1, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:00.000Z', kind: 'proxy', format: LEEF_FORMAT, user: 'alice@corp.example',
      srcIp: '10.1.2.3', host: 'chatgpt.com', destIp: '104.18.32.47', destPort: 443,
      url: 'https://chatgpt.com/backend-api/conversation?model=gpt-4o', method: 'POST', bytesOut: 2048, bytesIn: 51200,
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64)', action: 'allowed',
    }));
  });

  it('maps a LEEF 2.0 flow with a ^ delimiter and epoch-ms devTime', () => {
    expect(okEvent(parse(V2_CARET, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:01.000Z', kind: 'flow', format: LEEF_FORMAT, srcIp: '10.0.1.8', destIp: '10.0.0.5',
      destPort: 21, action: 'blocked',
    }));
  });

  it('maps a LEEF 2.0 event with a hex delimiter, local devTimeFormat time in opts.timeZone and IPv6', () => {
    expect(okEvent(createLeefParser({ timeZone: 'Europe/Paris' })(V2_HEX, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:02.500Z', kind: 'proxy', format: LEEF_FORMAT, user: 'CORP\\bob', srcIp: '2001:db8::5',
      host: 'claude.ai', destPort: 443, url: 'https://claude.ai/api/append_message', action: 'blocked',
    }));
  });

  it('reads devTime without devTimeFormat as epoch ms, MMM dd yyyy HH:mm:ss or ISO', () => {
    const at = (devTime: string) => okEvent(parse(`LEEF:1.0|V|P|1|E|devTime=${devTime}`, ctx)).ts;
    expect(at('1795600800123')).toBe('2026-11-25T10:00:00.123Z');
    expect(at('Nov 25 2026 10:00:00.123')).toBe('2026-11-25T10:00:00.123Z');
    expect(at('Nov 25 2026 11:00:00 GMT+01:00')).toBe('2026-11-25T10:00:00.000Z');
    expect(at('2026-11-25T10:00:00-05:00')).toBe('2026-11-25T15:00:00.000Z');
  });

  it('reads devTimeFormat patterns with 12-hour clocks, zones and quoted literals', () => {
    const at = (devTime: string, fmt: string) => okEvent(parse(`LEEF:1.0|V|P|1|E|devTime=${devTime}${T}devTimeFormat=${fmt}`, ctx)).ts;
    expect(at('25/11/2026 02:30:00 PM', 'dd/MM/yyyy hh:mm:ss a')).toBe('2026-11-25T14:30:00.000Z');
    expect(at('2026-11-25T10:00:00.123+0100', "yyyy-MM-dd'T'HH:mm:ss.SSSZ")).toBe('2026-11-25T09:00:00.123Z');
    expect(at('20261125100000', 'yyyyMMddHHmmss')).toBe('2026-11-25T10:00:00.000Z');
    expect(at('Wed, 25 Nov 2026 10:00:00 CET', 'EEE, dd MMM yyyy HH:mm:ss z')).toBe('2026-11-25T09:00:00.000Z');
  });

  it('falls back to the syslog header time, then receivedAt', () => {
    expect(okEvent(parse('Nov 25 10:00:07 fw LEEF:1.0|V|P|1|E|src=10.1.2.3', ctx)).ts).toBe('2026-11-25T10:00:07.000Z');
    expect(okEvent(parse('LEEF:1.0|V|P|1|E|src=10.1.2.3', ctx)).ts).toBe(RECEIVED);
  });

  it('keeps delimiter-free pieces with the value before them, and = inside values', () => {
    const line = 'LEEF:2.0|V|P|1|E|^|url=https://x.ai/a^b?c=d^usrName=eve';
    expect(okEvent(parse(line, ctx))).toMatchObject({ url: 'https://x.ai/a^b?c=d', user: 'eve', host: 'x.ai' });
  });

  it('reads LEEF 1.0 attributes separated by spaces like a CEF extension', () => {
    const line = 'LEEF:1.0|Microsoft|MSExchange|2016|15345|src=10.50.1.1 dst=2.10.20.20 usrName=John Smith';
    expect(okEvent(parse(line, ctx))).toMatchObject({ srcIp: '10.50.1.1', destIp: '2.10.20.20', user: 'John Smith' });
  });

  it('accepts | itself as the 2.0 delimiter and treats proto=DNS as a DNS event', () => {
    expect(okEvent(parse('LEEF:2.0|V|P|1|E|||src=10.1.2.3|proto=DNS|dhost=chatgpt.com', ctx))).toMatchObject({
      kind: 'dns', host: 'chatgpt.com', srcIp: '10.1.2.3',
    });
  });
});

describe('leef — unhappy paths and robustness', () => {
  it('rejects non-LEEF text, bad versions, headers and delimiters', () => {
    expect(rejectReason(parse('CEF:0|a|b|c|d|e|f|', ctx))).toMatch(/^not a LEEF line/);
    expect(rejectReason(parse('LEEF:3.0|V|P|1|E|src=10.1.2.3', ctx))).toMatch(/^bad LEEF version/);
    expect(rejectReason(parse('LEEF:1.0|V|P|1', ctx))).toMatch(/^truncated LEEF header/);
    expect(rejectReason(parse('LEEF:2.0|V|P|1|E|^', ctx))).toMatch(/^truncated LEEF 2.0 header/);
    expect(rejectReason(parse('LEEF:2.0|V|P|1|E|^^|src=1', ctx))).toMatch(/^bad LEEF 2.0 delimiter/);
    expect(rejectReason(parse('LEEF:1.0|V|P|1|E|garbage', ctx))).toMatch(/^malformed LEEF attributes/);
    expect(rejectReason(parse('LEEF:1.0|V|P|1|E|src=1\u0001', ctx))).toMatch(/control characters/);
  });

  it('allows a control char that is the declared delimiter, and no other', () => {
    const line = 'LEEF:2.0|V|P|1|E|x01|src=10.1.2.3\u0001dstPort=443\u0001usrName=bob';
    expect(okEvent(parse(line, ctx))).toMatchObject({ srcIp: '10.1.2.3', destPort: 443, user: 'bob' });
    expect(rejectReason(parse(`${line}\u0002`, ctx))).toMatch(/control characters/);
    expect(rejectReason(parse(`LEEF:1.0|V|P|1|E|src=10.1.2.3${T}msg=a\u007fb`, ctx))).toMatch(/control characters/);
  });

  it('reads ^ and tab (x09) delimited attributes in place, leaving missing optional fields null', () => {
    expect(okEvent(parse('LEEF:2.0|V|P|1|E|^|src=10.1.2.3^url=https://claude.ai/x y^bytesOut=5', ctx))).toMatchObject({
      srcIp: '10.1.2.3', url: 'https://claude.ai/x y', host: 'claude.ai', bytesOut: 5, bytesIn: null, destIp: null,
      destPort: 443, user: null,
    });
    expect(okEvent(parse(`LEEF:2.0|V|P|1|E|x09|usrName=a b${T}dst=10.0.0.9`, ctx))).toMatchObject({
      user: 'a b', destIp: '10.0.0.9', srcIp: null, bytesIn: null,
    });
  });

  it('names bytesIn before bytesOut when both are malformed', () => {
    expect(rejectReason(parse(`LEEF:1.0|V|P|1|E|bytesOut=x${T}bytesIn=y`, ctx))).toMatch(/^bad bytesIn/);
    expect(rejectReason(parse(`LEEF:1.0|V|P|1|E|bytesOut=x${T}bytesIn=1`, ctx))).toMatch(/^bad bytesOut/);
  });

  it('rejects malformed mapped values naming the key', () => {
    expect(rejectReason(parse('LEEF:1.0|V|P|1|E|devTime=soon', ctx))).toMatch(/^bad devTime/);
    expect(rejectReason(parse(`LEEF:1.0|V|P|1|E|devTime=2026${T}devTimeFormat=yyyy GGG`, ctx))).toMatch(/unsupported devTimeFormat letter G/);
    expect(rejectReason(parse(`LEEF:1.0|V|P|1|E|devTime=11/25/2026${T}devTimeFormat=yyyy-MM-dd`, ctx))).toMatch(/does not match devTimeFormat/);
    expect(rejectReason(parse('LEEF:1.0|V|P|1|E|src=fw01', ctx))).toMatch(/^bad src/);
    expect(rejectReason(parse('LEEF:1.0|V|P|1|E|dstPort=http', ctx))).toMatch(/^bad dstPort/);
    expect(rejectReason(parse('LEEF:1.0|V|P|1|E|bytesIn=lots', ctx))).toMatch(/^bad bytesIn/);
  });

  it('never throws on arbitrary strings or mutated lines', () => {
    assertNeverThrows(createLeefParser, LEEF_FORMAT, [V1, V2_CARET, V2_HEX], ctx);
  });
});
