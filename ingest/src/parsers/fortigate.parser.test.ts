import type { NormalizedEvent } from '@shadow-ai/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFortigateParser, FORTIGATE_FORMAT } from './fortigate.parser.ts';
import { ctx, eventOf, expectWellFormed, mutatedLine, randomLine, reasonOf } from './vendor.test-util.ts';

const parse = createFortigateParser();
const ok = (line: string, p = parse): NormalizedEvent => eventOf(p(line, ctx));
const reason = (line: string, p = parse): string => reasonOf(p(line, ctx));

/** `key=value` text from pairs in order; a value is written as given (quote it in the value if FortiOS would). */
function kv(pairs: Record<string, string | undefined>): string {
  return Object.entries(pairs).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`).join(' ');
}

/** A web filter log as a FortiGate in UTC+1 sends it: 11:00 local = 10:00 UTC. */
function webfilter(over: Record<string, string | undefined> = {}): string {
  return kv({
    date: '2026-11-25', time: '11:00:00', devname: '"FGT-HQ"', devid: '"FG100FTK19000001"',
    eventtime: '1795600800123456789', tz: '"+0100"', logid: '"0316013057"', type: '"utm"', subtype: '"webfilter"',
    eventtype: '"ftgd_allow"', level: '"notice"', vd: '"root"', policyid: '12', sessionid: '9012', user: '"alice"',
    srcip: '10.1.2.3', srcport: '51234', srcintf: '"port2"', srcintfrole: '"lan"', dstip: '104.18.32.47',
    dstport: '443', dstintf: '"wan1"', dstintfrole: '"wan"', proto: '6', httpmethod: '"POST"', service: '"HTTPS"',
    hostname: '"chatgpt.com"', agent: '"Mozilla/5.0 (Windows NT 10.0; Win64; x64)"', profile: '"default"',
    action: '"passthrough"', reqtype: '"direct"', url: '"/backend-api/conversation"', sentbyte: '1834',
    rcvdbyte: '51200', direction: '"outgoing"', msg: '"URL belongs to an allowed category in policy"',
    method: '"domain"', cat: '52', catdesc: '"Information Technology"', ...over,
  });
}

function dns(over: Record<string, string | undefined> = {}): string {
  return kv({
    date: '2026-11-25', time: '11:00:00', logid: '"1501054802"', type: '"utm"', subtype: '"dns"',
    eventtype: '"dns-response"', level: '"notice"', vd: '"root"', eventtime: '1795600800250000000', tz: '"+0100"',
    policyid: '1', sessionid: '6887', srcip: '10.1.2.3', srcport: '50002', srcintf: '"port2"', dstip: '10.0.0.53',
    dstport: '53', dstintf: '"port1"', proto: '17', profile: '"dnsfilter"', xid: '57945', qname: '"claude.ai"',
    qtype: '"AAAA"', qtypeval: '28', qclass: '"IN"', ipaddr: '"2607:6bc0::10"', msg: '"Domain is monitored"',
    action: '"pass"', cat: '52', catdesc: '"Information Technology"', ...over,
  });
}

function traffic(over: Record<string, string | undefined> = {}): string {
  return kv({
    date: '2026-11-25', time: '11:00:00', logid: '"0000000013"', type: '"traffic"', subtype: '"forward"',
    level: '"notice"', vd: '"root"', eventtime: '1795600800', tz: '"+0100"', srcip: '10.1.2.3', srcport: '51234',
    srcintf: '"port2"', dstip: '104.18.32.47', dstport: '443', dstintf: '"wan1"', sessionid: '9012', proto: '6',
    action: '"close"', policyid: '12', service: '"HTTPS"', hostname: '"gemini.google.com"', duration: '31',
    sentbyte: '5120', rcvdbyte: '10240', sentpkt: '20', rcvdpkt: '20', appcat: '"unscanned"', user: '"alice"', ...over,
  });
}

describe('fortigate — web filter', () => {
  it('maps every field of a web filter log', () => {
    expect(ok(webfilter())).toEqual({
      ts: '2026-11-25T10:00:00.123Z', kind: 'proxy', format: 'fortigate', user: 'alice', srcIp: '10.1.2.3',
      host: 'chatgpt.com', destIp: '104.18.32.47', destPort: 443, url: 'chatgpt.com/backend-api/conversation',
      method: 'POST', status: null, bytesOut: 1834, bytesIn: 51200, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
      action: 'allowed', dnsType: null, dnsRcode: null,
    } satisfies NormalizedEvent);
  });

  it('parses the shape of the FortiOS documentation example (blocked, no agent, no HTTP method)', () => {
    const line = 'date=2018-12-27 time=11:23:50 logid="0316013056" type="utm" subtype="webfilter" eventtype="ftgd_blk" '
      + 'level="warning" vd="vdom1" eventtime=1545938629 policyid=1 sessionid=764 user="bob" srcip=10.1.100.11 '
      + 'srcport=59194 srcintf="port12" srcintfrole="undefined" dstip=185.230.61.185 dstport=80 dstintf="port11" '
      + 'dstintfrole="undefined" proto=6 service="HTTP" hostname="ambrishsriv.wixsite.com" profile="g-default" '
      + 'action="blocked" reqtype="direct" url="/bizsquads" sentbyte=96 rcvdbyte=0 direction="outgoing" '
      + 'msg="URL belongs to a denied category in policy" method="domain" cat=26 catdesc="Malicious Websites" '
      + 'crscore=60 crlevel="high"';
    expect(ok(line)).toMatchObject({
      ts: '2018-12-27T19:23:49.000Z', action: 'blocked', method: null, userAgent: null, host: 'ambrishsriv.wixsite.com',
      url: 'ambrishsriv.wixsite.com/bizsquads', bytesOut: 96, bytesIn: 0, destPort: 80, user: 'bob',
    });
  });

  it('accepts unquoted values (FortiOS 5.x/6.0 style) and syslog headers', () => {
    const unquoted = webfilter({ type: 'utm', subtype: 'webfilter', action: 'passthrough', hostname: 'chatgpt.com', user: 'alice' });
    expect(ok(unquoted)).toEqual(ok(webfilter()));
    expect(ok(`<189>${webfilter()}`)).toEqual(ok(webfilter()));
    expect(ok(`<189>Nov 25 11:00:00 FGT-HQ ${webfilter()}`)).toEqual(ok(webfilter()));
    expect(ok(`<189>1 2026-11-25T11:00:00+01:00 FGT-HQ - - - ${webfilter()}`)).toEqual(ok(webfilter()));
  });

  it('keeps a full URL as logged and takes the host from it when hostname is missing', () => {
    expect(ok(webfilter({ url: '"https://claude.ai/api/x"', hostname: undefined }))).toMatchObject({
      url: 'https://claude.ai/api/x', host: 'claude.ai',
    });
    expect(ok(webfilter({ url: '"relative/path"' })).url).toBe('relative/path');
  });

  it('unescapes escaped quotes and keeps blanks and non-ASCII text in quoted values', () => {
    const e = ok(webfilter({ agent: '"Agent \\"x\\" (Ünïcode; 日本)"', user: '"josé müller"' }));
    expect(e).toMatchObject({ userAgent: 'Agent "x" (Ünïcode; 日本)', user: 'josé müller' });
  });

  it('handles a very long URL', () => {
    const path = `/app?q=${'x'.repeat(20_000)}`;
    expect(ok(webfilter({ url: `"${path}"`, hostname: '"gemini.google.com"' })).url).toBe(`gemini.google.com${path}`);
  });

  it('accepts IPv6 addresses and lowercases the host', () => {
    expect(ok(webfilter({ srcip: '2001:db8::5', dstip: '2606:4700::6812:2030', hostname: '"Chat.OpenAI.COM"' }))).toMatchObject({
      srcIp: '2001:db8::5', destIp: '2606:4700::6812:2030', host: 'chat.openai.com',
    });
  });

  it('falls back to unauthuser and maps empty values to null', () => {
    expect(ok(webfilter({ user: undefined, unauthuser: '"CORP\\\\bob"' })).user).toBe('CORP\\bob');
    expect(ok(webfilter({ user: '""', agent: '""', httpmethod: undefined }))).toMatchObject({ user: null, userAgent: null, method: null });
  });

  it('reads app-ctrl logs like web filter logs', () => {
    expect(ok(webfilter({ subtype: '"app-ctrl"', action: '"block"', app: '"ChatGPT"' }))).toMatchObject({
      kind: 'proxy', action: 'blocked', host: 'chatgpt.com',
    });
  });
});

describe('fortigate — time', () => {
  it('applies tz and keeps the sub-second part of an eventtime that agrees', () => {
    expect(ok(webfilter()).ts).toBe('2026-11-25T10:00:00.123Z');
    expect(ok(webfilter({ eventtime: '1795600800987654' })).ts).toBe('2026-11-25T10:00:00.987Z');
  });

  it('applies tz alone, and trusts date+time+tz over a disagreeing eventtime', () => {
    expect(ok(webfilter({ eventtime: undefined, tz: '"-0500"', time: '05:00:00' })).ts).toBe('2026-11-25T10:00:00.000Z');
    expect(ok(webfilter({ eventtime: '1795604400' })).ts).toBe('2026-11-25T10:00:00.000Z');
  });

  it('without tz uses eventtime in seconds, ms, µs or ns', () => {
    for (const eventtime of ['1795600800', '1795600800000', '1795600800000000', '1795600800000000000']) {
      expect(ok(webfilter({ tz: undefined, eventtime })).ts, eventtime).toBe('2026-11-25T10:00:00.000Z');
    }
  });

  it('without tz or eventtime reads date and time in the configured zone', () => {
    const line = webfilter({ tz: undefined, eventtime: undefined });
    expect(ok(line).ts).toBe('2026-11-25T11:00:00.000Z');
    expect(ok(line, createFortigateParser({ timeZone: 'Europe/Berlin' })).ts).toBe('2026-11-25T10:00:00.000Z');
  });
});

describe('fortigate — dns and traffic', () => {
  it('maps every field of a DNS filter response log', () => {
    expect(ok(dns())).toEqual({
      ts: '2026-11-25T10:00:00.250Z', kind: 'dns', format: 'fortigate', user: null, srcIp: '10.1.2.3', host: 'claude.ai',
      destIp: '10.0.0.53', destPort: 53, url: null, method: null, status: null, bytesOut: null, bytesIn: null,
      userAgent: null, action: 'allowed', dnsType: 'AAAA', dnsRcode: null,
    } satisfies NormalizedEvent);
  });

  it('reads dns-query logs (no action), qtypeval alone, and blocked or redirected answers', () => {
    expect(ok(dns({ eventtype: '"dns-query"', action: undefined, msg: undefined, ipaddr: undefined })).action).toBeNull();
    expect(ok(dns({ qtype: undefined, qtypeval: '65' })).dnsType).toBe('TYPE65');
    expect(ok(dns({ action: '"block"', qname: '"Chat.DeepSeek.com."' }))).toMatchObject({ action: 'blocked', host: 'chat.deepseek.com' });
    expect(ok(dns({ action: '"redirect"' })).action).toBe('blocked');
  });

  it('maps every field of a traffic log', () => {
    expect(ok(traffic())).toEqual({
      ts: '2026-11-25T10:00:00.000Z', kind: 'flow', format: 'fortigate', user: 'alice', srcIp: '10.1.2.3',
      host: 'gemini.google.com', destIp: '104.18.32.47', destPort: 443, url: null, method: null, status: null,
      bytesOut: 5120, bytesIn: 10240, userAgent: null, action: 'allowed', dnsType: null, dnsRcode: null,
    } satisfies NormalizedEvent);
  });

  it('maps traffic actions, and a UTM block inside an accepted session to blocked', () => {
    for (const action of ['accept', 'close', 'timeout', 'client-rst', 'server-rst']) {
      expect(ok(traffic({ action })).action, action).toBe('allowed');
    }
    expect(ok(traffic({ action: 'deny' })).action).toBe('blocked');
    expect(ok(traffic({ utmaction: '"block"' })).action).toBe('blocked');
    expect(ok(traffic({ action: '"ip-conn"' })).action).toBeNull();
  });

  it('maps missing hostname, ports and byte counts to null', () => {
    expect(ok(traffic({ hostname: undefined, dstport: '0', sentbyte: undefined, rcvdbyte: undefined }))).toMatchObject({
      host: null, destPort: null, bytesOut: null, bytesIn: null,
    });
  });
});

describe('fortigate — rejections', () => {
  it('rejects empty lines, control characters and text without pairs', () => {
    expect(reason('')).toBe('empty line');
    expect(reason(`${webfilter()}\u0000`)).toBe('binary or control characters in line');
    expect(reason('hello world')).toBe('unsupported layout: no key=value pairs');
  });

  it('rejects other log types', () => {
    expect(reason(kv({ date: '2026-11-25', time: '11:00:00', type: '"event"', subtype: '"system"', msg: '"x"' })))
      .toBe('unsupported log type: only traffic, utm webfilter, app-ctrl and dns are parsed');
    expect(reason(webfilter({ subtype: '"virus"' }))).toBe('unsupported log type: only traffic, utm webfilter, app-ctrl and dns are parsed');
    expect(reason(webfilter({ type: undefined }))).toBe('not a FortiGate log line: no type=');
  });

  it('rejects malformed pairs and quotes', () => {
    expect(reason(`${webfilter()} dangling`)).toBe('malformed key=value pair: text without "="');
    expect(reason(`${webfilter()} msg="unterminated`)).toBe('truncated line: unterminated quoted field');
    expect(reason(webfilter({ msg: '"a"b' }))).toBe('malformed quoted field: text right after the closing quote');
  });

  it('rejects bad or missing timestamps', () => {
    expect(reason(webfilter({ tz: '"CET"' }))).toBe('bad tz: expected an offset like +0100');
    expect(reason(webfilter({ eventtime: '17956008001' }))).toBe('bad eventtime: expected epoch seconds, ms, µs or ns');
    expect(reason(webfilter({ date: undefined, eventtime: undefined }))).toBe('no timestamp: expected date= and time= or eventtime=');
    expect(reason(webfilter({ time: '25:00:00' }))).toBe('bad timestamp: expected date=YYYY-MM-DD time=HH:MM:SS');
    expect(reason(webfilter({ tz: undefined, eventtime: undefined, date: '25/11/2026' })))
      .toBe('bad timestamp: expected date=YYYY-MM-DD time=HH:MM:SS');
  });

  it('rejects bad addresses, ports and byte counts, and DNS logs without a name', () => {
    expect(reason(webfilter({ srcip: 'laptop' }))).toBe('bad srcip');
    expect(reason(webfilter({ dstip: '1.2.3' }))).toBe('bad dstip');
    expect(reason(webfilter({ dstport: '99999' }))).toBe('bad dstport');
    expect(reason(webfilter({ sentbyte: '-1' }))).toBe('bad sentbyte');
    expect(reason(webfilter({ rcvdbyte: '1k' }))).toBe('bad rcvdbyte');
    expect(reason(dns({ qname: undefined }))).toBe('dns log without qname');
  });

  it('checks addresses before the port and the port before byte counts, and reads no byte counts in DNS logs', () => {
    expect(reason(webfilter({ srcip: 'laptop', dstport: 'http', sentbyte: '-1' }))).toBe('bad srcip');
    expect(reason(webfilter({ dstport: 'http', sentbyte: '-1' }))).toBe('bad dstport');
    expect(reason(webfilter({ sentbyte: '-1', rcvdbyte: '1k' }))).toBe('bad sentbyte');
    expect(ok(dns({ sentbyte: '-1', rcvdbyte: 'lots' }))).toMatchObject({ bytesOut: null, bytesIn: null });
    expect(ok(webfilter({ dstport: '0', sentbyte: '"-"' }))).toMatchObject({ destPort: null, bytesOut: null });
  });

  it('refuses an unknown time zone when the parser is made', () => {
    expect(() => createFortigateParser({ timeZone: 'CET+1' })).toThrow(RangeError);
    expect(FORTIGATE_FORMAT).toBe('fortigate');
  });
});

describe('fortigate — robustness', () => {
  const ALPHABET = ' ="\\0123456789-:.abcdeipqrstuy<>';

  it('never throws on arbitrary strings and returns an event or a reason', () => {
    fc.assert(fc.property(randomLine(ALPHABET), (line) => expectWellFormed(parse(line, ctx), 'fortigate')), { numRuns: 2000 });
  });

  it('never throws on mutated valid lines', () => {
    let accepted = 0;
    fc.assert(fc.property(mutatedLine([webfilter(), dns(), traffic()], ALPHABET), (line) => {
      const result = parse(line, ctx);
      expectWellFormed(result, 'fortigate');
      if (result.ok) accepted++;
    }), { numRuns: 2000 });
    expect(accepted).toBeGreaterThan(100);
  });
});
