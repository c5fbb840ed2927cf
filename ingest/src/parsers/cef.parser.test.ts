import { describe, expect, it } from 'vitest';
import { CEF_FORMAT, createCefParser } from './cef.parser.ts';
import { assertNeverThrows, ctxAt, eventWith, okEvent, rejectReason } from './parser-test.util.ts';

const RECEIVED = '2026-11-25T10:00:09.000Z';
const ctx = ctxAt(RECEIVED);
const parse = createCefParser();

const WEB = '<134>Nov 25 10:00:05 nss01 CEF:0|Zscaler|NSSWeblog|6.2|Allowed|Allowed|3|rt=Nov 25 2026 10:00:00 '
  + 'act=Allowed reason=Allowed app=HTTPS cat=Generative AI dhost=chatgpt.com src=10.1.2.3 dst=104.18.32.47 '
  + 'dpt=443 suser=alice@corp.example request=https://chatgpt.com/backend-api/conversation requestMethod=POST '
  + 'requestClientApplication=Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 out=2048 in=51200';
const URL_BLOCK = 'CEF:0|Palo Alto Networks|PAN-OS|11.1.0|url|THREAT|1|rt=Nov 25 2026 11:00:01 GMT+01:00 '
  + 'src=10.1.2.4 dst=160.79.104.10 suser=corp\\\\bob app=web-browsing act=block-url request="claude.ai/api/" '
  + 'cs2=generative-ai cs2Label=URLCategory';
const FLOW = 'CEF:0|Fortinet|FortiGate-60F|7.2.5|0000000013|traffic:forward accept|3|rt=1795600802000 '
  + 'src=2001:db8::5 dst=2a00:1450:4001:82b::200e dpt=443 proto=6 act=accept out=1200 in=8800 app=HTTPS';
const ESCAPED = 'CEF:1|Acme\\|Labs|Gate\\\\Way|2.0|100|Name with \\| pipe|Medium|start=1795600803123 '
  + 'msg=a\\=b c\\\\d\\nnext request=https://api.mistral.ai/v1/chat?stream=true&model=large suser=Jane Q. Public '
  + 'requestMethod=GET';

describe('cef — mappings', () => {
  it('maps every field of a web proxy event (syslog header, rt without zone, UA with spaces)', () => {
    expect(okEvent(parse(WEB, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:00.000Z', kind: 'proxy', format: CEF_FORMAT, user: 'alice@corp.example',
      srcIp: '10.1.2.3', host: 'chatgpt.com', destIp: '104.18.32.47', destPort: 443,
      url: 'https://chatgpt.com/backend-api/conversation', method: 'POST', bytesOut: 2048, bytesIn: 51200,
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36', action: 'allowed',
    }));
  });

  it('maps a blocked URL event: zone offset in rt, quoted request, escaped backslash in the user', () => {
    expect(okEvent(parse(URL_BLOCK, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:01.000Z', kind: 'proxy', format: CEF_FORMAT, user: 'corp\\bob', srcIp: '10.1.2.4',
      host: 'claude.ai', destIp: '160.79.104.10', url: 'claude.ai/api/', action: 'blocked',
    }));
  });

  it('maps a firewall flow with epoch-ms rt and IPv6', () => {
    expect(okEvent(parse(FLOW, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:02.000Z', kind: 'flow', format: CEF_FORMAT, srcIp: '2001:db8::5',
      destIp: '2a00:1450:4001:82b::200e', destPort: 443, bytesOut: 1200, bytesIn: 8800, action: 'allowed',
    }));
  });

  it('handles header and extension escapes, unescaped = in URLs and values with spaces', () => {
    expect(okEvent(parse(ESCAPED, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:03.123Z', kind: 'proxy', format: CEF_FORMAT, user: 'Jane Q. Public',
      host: 'api.mistral.ai', destPort: 443, url: 'https://api.mistral.ai/v1/chat?stream=true&model=large', method: 'GET',
    }));
  });

  it('falls back to the syslog header time, then receivedAt', () => {
    expect(okEvent(parse('<14>Nov 25 10:00:07 fw CEF:0|V|P|1|1|n|1|src=10.1.2.3', ctx)).ts).toBe('2026-11-25T10:00:07.000Z');
    expect(okEvent(parse('CEF:0|V|P|1|1|n|1|src=10.1.2.3', ctx)).ts).toBe(RECEIVED);
    expect(okEvent(parse('CEF:0|V|P|1|1|n|1|', ctx)).kind).toBe('flow');
  });

  it('reads rt without zone in opts.timeZone, and named zones as written', () => {
    const berlin = createCefParser({ timeZone: 'Europe/Berlin' });
    expect(okEvent(berlin('CEF:0|V|P|1|1|n|1|rt=Nov 25 2026 11:00:00', ctx)).ts).toBe('2026-11-25T10:00:00.000Z');
    expect(okEvent(berlin('CEF:0|V|P|1|1|n|1|rt=Nov 25 2026 11:00:00.250 UTC', ctx)).ts).toBe('2026-11-25T11:00:00.250Z');
    expect(okEvent(parse('CEF:0|V|P|1|1|n|1|rt=Nov 25 2026 02:00:00 PST', ctx)).ts).toBe('2026-11-25T10:00:00.000Z');
    expect(okEvent(parse('CEF:0|V|P|1|1|n|1|rt=Nov 25 2026 05:00:00 America/New_York', ctx)).ts)
      .toBe('2026-11-25T10:00:00.000Z');
    expect(okEvent(parse('CEF:0|V|P|1|1|n|1|rt=Nov 25 10:00:00', ctx)).ts).toBe('2026-11-25T10:00:00.000Z');
    expect(okEvent(parse('CEF:0|V|P|1|1|n|1|rt=2026-11-25T10:00:00.5Z', ctx)).ts).toBe('2026-11-25T10:00:00.500Z');
  });

  it('maps full key names, duser as a user fallback and dhost with a port', () => {
    const line = 'CEF:0|V|P|1|1|n|1|deviceReceiptTime=1795600800000 sourceAddress=10.1.2.3 destinationHostName=Copilot.Microsoft.com:8443 '
      + 'duser=carol deviceAction=Denied bytesOut=10';
    expect(okEvent(parse(line, ctx))).toMatchObject({
      srcIp: '10.1.2.3', host: 'copilot.microsoft.com', destPort: 8443, user: 'carol', action: 'blocked', bytesOut: 10,
    });
  });

  it('classifies DNS and TLS events by app', () => {
    const dns = okEvent(parse('CEF:0|Infoblox|NIOS|9.0|RPZ-QNAME|NXDOMAIN|7|app=DNS src=10.1.2.3 dhost=chatgpt.com qtype=A act=NXDOMAIN', ctx));
    expect(dns).toMatchObject({ kind: 'dns', host: 'chatgpt.com', dnsType: 'A', action: null });
    expect(okEvent(parse('CEF:0|V|P|1|1|n|1|app=TLS dhost=claude.ai', ctx))).toMatchObject({ kind: 'tls', host: 'claude.ai' });
  });

  it('reads action words, leaving unknown and negated ones null', () => {
    const act = (a: string) => okEvent(parse(`CEF:0|V|P|1|1|n|1|act=${a}`, ctx)).action;
    expect([act('reset-both'), act('TCP_DENIED'), act('drop'), act('Blocked by policy')]).toEqual(Array(4).fill('blocked'));
    expect([act('permit'), act('PASS'), act('alert')]).toEqual(Array(3).fill('allowed'));
    expect([act('observed'), act('not allowed'), act('-')]).toEqual([null, null, null]);
  });

  it('keeps a very long URL and non-ASCII values whole', () => {
    const url = `https://chatgpt.com/c/${'x'.repeat(8000)}?q=ünïcödé`;
    expect(okEvent(parse(`CEF:0|V|P|1|1|n|1|request=${url} suser=Zoë`, ctx))).toMatchObject({ url, user: 'Zoë', host: 'chatgpt.com' });
  });
});

describe('cef — unhappy paths and robustness', () => {
  it('rejects lines that are not CEF or have a short header', () => {
    expect(rejectReason(parse('hello world', ctx))).toMatch(/^not a CEF line/);
    expect(rejectReason(parse('xCEF:0|a|b|c|d|e|f|', ctx))).toMatch(/^not a CEF line/);
    expect(rejectReason(parse('CEF:0|Vendor|Product|1.0|100|Name', ctx))).toMatch(/^truncated CEF header/);
    expect(rejectReason(parse('CEF:zero|V|P|1|1|n|1|src=10.1.2.3', ctx))).toBe('bad CEF version');
    expect(rejectReason(parse('CEF:0|V|P|1|1|n|1|garbage without pairs', ctx))).toMatch(/^malformed CEF extension/);
    expect(rejectReason(parse('', ctx))).toBe('empty line');
    expect(rejectReason(parse('CEF:0|V|P|1|1|n|1|src=\u0007', ctx))).toMatch(/control characters/);
  });

  it('rejects malformed mapped values naming the key', () => {
    expect(rejectReason(parse('CEF:0|V|P|1|1|n|1|rt=yesterday', ctx))).toMatch(/^bad rt/);
    expect(rejectReason(parse('CEF:0|V|P|1|1|n|1|rt=Nov 25 2026 10:00:00 CST', ctx))).toMatch(/^bad rt/);
    expect(rejectReason(parse('CEF:0|V|P|1|1|n|1|src=host.example', ctx))).toMatch(/^bad src/);
    expect(rejectReason(parse('CEF:0|V|P|1|1|n|1|dst=10.0.0', ctx))).toMatch(/^bad dst/);
    expect(rejectReason(parse('CEF:0|V|P|1|1|n|1|dpt=0', ctx))).toMatch(/^bad dpt/);
    expect(rejectReason(parse('CEF:0|V|P|1|1|n|1|out=-5', ctx))).toMatch(/^bad out/);
    expect(rejectReason(parse('CEF:0|V|P|1|1|n|1|in=1e3', ctx))).toMatch(/^bad in/);
  });

  it('checks the optional fields in order and leaves missing ones null', () => {
    expect(rejectReason(parse('CEF:0|V|P|1|1|n|1|dpt=0 out=1.5 in=lots', ctx))).toBe('bad dpt: expected a port 1-65535');
    expect(rejectReason(parse('CEF:0|V|P|1|1|n|1|out=1.5 in=lots', ctx))).toBe('bad out: expected a byte count');
    expect(rejectReason(parse('CEF:0|V|P|1|1|n|1|src=10.0.0.1 in=lots', ctx))).toBe('bad in: expected a byte count');
    expect(okEvent(parse('CEF:0|V|P|1|1|n|1|src=- dst= dpt=- out=- act=allow', ctx))).toMatchObject({
      srcIp: null, destIp: null, destPort: null, bytesOut: null, bytesIn: null, action: 'allowed',
    });
  });

  it('reads quoted values with spaces, \\= and \\\\ escapes, and a first empty value giving way to a later one', () => {
    const line = 'CEF:0|V|P|1|1|n|1|suser= request="https://claude.ai/a b" msg=x\\=y suser=corp\\\\bob\\=1 '
      + 'requestMethod=GET';
    expect(okEvent(parse(line, ctx))).toMatchObject({
      url: 'https://claude.ai/a b', user: 'corp\\bob=1', method: 'GET', host: 'claude.ai',
    });
  });

  it('throws at creation for an unknown time zone', () => {
    expect(() => createCefParser({ timeZone: 'Nowhere/Land' })).toThrow(/unknown time zone/);
  });

  it('never throws on arbitrary strings or mutated lines', () => {
    assertNeverThrows(createCefParser, CEF_FORMAT, [WEB, URL_BLOCK, FLOW, ESCAPED], ctx);
  });
});
