import type { NormalizedEvent } from '@shadow-ai/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_FORMAT, createCheckpointParser } from './checkpoint.parser.ts';
import { ctx, eventOf, expectWellFormed, mutatedLine, randomLine, reasonOf } from './vendor.test-util.ts';

const parse = createCheckpointParser();
const ok = (line: string, p = parse): NormalizedEvent => eventOf(p(line, ctx));
const reason = (line: string, p = parse): string => reasonOf(p(line, ctx));

/** `key:"value"; …` from pairs in order; undefined values are left out. Quotes in values must be pre-escaped. */
function pairs(fields: Record<string, string | undefined>): string {
  return Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}:"${v}"`).join('; ');
}

const HEADER = '<134>1 2026-11-25T10:00:01Z gw-hq CheckPoint 13752 - ';

/** A URL Filtering / Application Control log as the Log Exporter sends it in its syslog format. */
function urlf(over: Record<string, string | undefined> = {}, header = HEADER): string {
  return `${header}[${pairs({
    action: 'Accept', flags: '444676', ifdir: 'outbound', ifname: 'eth1', logid: '0',
    loguid: '{0x6541a2b3,0x0,0x5b20a8c0,0x7d5707b6}', origin: '192.0.2.1', originsicname: 'CN=gw-hq,O=mgmt..abcd',
    sequencenum: '7', time: '1795600800', version: '5', appi_name: 'ChatGPT', app_category: 'Generative AI',
    app_risk: '3', dst: '104.18.32.47', proto: '6', resource: 'https://chatgpt.com/backend-api/conversation',
    s_port: '51234', service: '443', service_id: 'https', src: '10.1.2.3', src_user_name: 'Alice Smith (alice)',
    client_outbound_bytes: '1834', server_outbound_bytes: '51200', method: 'POST', product: 'URL Filtering',
    ...over,
  })}]`;
}

/** A plain firewall connection log (no resource). */
function conn(over: Record<string, string | undefined> = {}): string {
  return `${HEADER}[${pairs({
    action: 'Drop', ifdir: 'outbound', origin: '192.0.2.1', time: '1795600800', dst: '160.79.104.10', proto: '6',
    s_port: '51235', service: '443', src: '10.1.2.4', product: 'VPN-1 & FireWall-1', ...over,
  })}]`;
}

describe('checkpoint — URL Filtering / Application Control', () => {
  it('maps every field of a URL Filtering log', () => {
    expect(ok(urlf())).toEqual({
      ts: '2026-11-25T10:00:00.000Z', kind: 'proxy', format: 'checkpoint', user: 'Alice Smith (alice)', srcIp: '10.1.2.3',
      host: 'chatgpt.com', destIp: '104.18.32.47', destPort: 443, url: 'https://chatgpt.com/backend-api/conversation',
      method: 'POST', status: null, bytesOut: 1834, bytesIn: 51200, userAgent: null, action: 'allowed', dnsType: null,
      dnsRcode: null,
    } satisfies NormalizedEvent);
  });

  it('accepts a BSD header with a [pid] tag, no header, and pairs without brackets', () => {
    const expected = ok(urlf());
    expect(ok(urlf({}, '<134>Nov 25 10:00:01 gw-hq CheckPoint[13752]: '))).toEqual(expected);
    expect(ok(urlf({}, ''))).toEqual(expected);
    expect(ok(urlf().replace('[', '').replace(/\]$/, ''))).toEqual(expected);
  });

  it('keeps ; ] and escaped quotes inside quoted values, and non-ASCII text', () => {
    const e = ok(urlf({ resource: 'https://claude.ai/api?a=1;b=[2]&q=\\"hi\\"', src_user_name: 'José Müller (jmüller)' }));
    expect(e).toMatchObject({ url: 'https://claude.ai/api?a=1;b=[2]&q="hi"', host: 'claude.ai', user: 'José Müller (jmüller)' });
  });

  it('reads bare values and the older "key: value" spacing', () => {
    const line = `${HEADER}[action: Accept; time: 1795600800; src: 10.1.2.3; dst: 104.18.32.47; service: 443; resource: https://gemini.google.com/app]`;
    expect(ok(line)).toMatchObject({ action: 'allowed', srcIp: '10.1.2.3', destPort: 443, host: 'gemini.google.com' });
  });

  it('takes the port from the URL when service is a name, and keeps IPv6 addresses', () => {
    expect(ok(urlf({ service: 'https', resource: 'https://chatgpt.com:8443/x' })).destPort).toBe(8443);
    expect(ok(urlf({ src: '2001:db8::5', dst: '2606:4700::6812:2030' }))).toMatchObject({
      srcIp: '2001:db8::5', destIp: '2606:4700::6812:2030',
    });
  });

  it('falls back to the inbound byte counters and to the other user fields', () => {
    const e = ok(urlf({
      client_outbound_bytes: undefined, server_outbound_bytes: undefined, client_inbound_bytes: '900',
      server_inbound_bytes: '12000', src_user_name: undefined, user: 'bob',
    }));
    expect(e).toMatchObject({ bytesOut: 900, bytesIn: 12000, user: 'bob' });
    expect(ok(urlf({ src_user_name: undefined, source_user_name: 'carol' })).user).toBe('carol');
  });

  it('maps actions: Accept/Allow → allowed, Drop/Reject/Block/Prevent → blocked, others → null', () => {
    for (const action of ['Accept', 'Allow', 'accept']) expect(ok(urlf({ action })).action, action).toBe('allowed');
    for (const action of ['Drop', 'Reject', 'Block', 'Prevent']) expect(ok(urlf({ action })).action, action).toBe('blocked');
    for (const action of ['Inform', 'Ask', 'Redirect', 'Detect']) expect(ok(urlf({ action })).action, action).toBeNull();
  });

  it('handles a very long URL and a URL with an invalid host', () => {
    const url = `https://copilot.microsoft.com/c?q=${'x'.repeat(30_000)}`;
    expect(ok(urlf({ resource: url }))).toMatchObject({ url, host: 'copilot.microsoft.com' });
    expect(ok(urlf({ resource: 'https://bücher.example/ki' }))).toMatchObject({ host: null, url: 'https://bücher.example/ki' });
  });
});

describe('checkpoint — connection logs and time', () => {
  it('maps a firewall connection log without a resource as a flow', () => {
    expect(ok(conn())).toEqual({
      ts: '2026-11-25T10:00:00.000Z', kind: 'flow', format: 'checkpoint', user: null, srcIp: '10.1.2.4', host: null,
      destIp: '160.79.104.10', destPort: 443, url: null, method: null, status: null, bytesOut: null, bytesIn: null,
      userAgent: null, action: 'blocked', dnsType: null, dnsRcode: null,
    } satisfies NormalizedEvent);
  });

  it('without time uses the RFC 5424 header timestamp, zone-less ones in the configured zone', () => {
    expect(ok(conn({ time: undefined })).ts).toBe('2026-11-25T10:00:01.000Z');
    const withOffset = conn({ time: undefined }).replace('2026-11-25T10:00:01Z', '2026-11-25T11:00:01.500+01:00');
    expect(ok(withOffset).ts).toBe('2026-11-25T10:00:01.500Z');
    const zoneless = conn({ time: undefined }).replace('2026-11-25T10:00:01Z', '2026-11-25 11:00:01');
    expect(ok(zoneless, createCheckpointParser({ timeZone: 'Europe/Berlin' })).ts).toBe('2026-11-25T10:00:01.000Z');
  });

  it('reads time as epoch seconds or ISO 8601', () => {
    expect(ok(conn({ time: '1795600800.250' })).ts).toBe('2026-11-25T10:00:00.250Z');
    expect(ok(conn({ time: '2026-11-25T10:00:00Z' })).ts).toBe('2026-11-25T10:00:00.000Z');
  });
});

describe('checkpoint — rejections', () => {
  it('rejects empty lines, control characters and text without pairs', () => {
    expect(reason('')).toBe('empty line');
    expect(reason(`${urlf()}\u0001`)).toBe('binary or control characters in line');
    expect(reason('<134>1 2026-11-25T10:00:01Z gw-hq CheckPoint 13752 - hello')).toBe('unsupported layout: no [key:"value"; …] block');
  });

  it('rejects malformed pair blocks', () => {
    expect(reason(urlf().slice(0, -1))).toBe('truncated line: no closing ] after the key:value pairs');
    expect(reason(`${HEADER}[action:"Accept"; junk; src:"10.1.2.3"]`)).toBe('malformed key:value pair: text without ":"');
    expect(reason(`${HEADER}[action:"Accept]`)).toBe('truncated line: unterminated quoted field');
    expect(reason(`${HEADER}[action:"Acc"ept"]`)).toBe('malformed quoted field: text right after the closing quote');
  });

  it('rejects logs that carry neither action nor addresses (audit, system)', () => {
    expect(reason(`${HEADER}[operation:"Log In"; administrator:"admin"; time:"1795600800"]`))
      .toBe('not a Check Point traffic log: no action, src or dst');
  });

  it('rejects missing and malformed timestamps', () => {
    expect(reason(`<134>Nov 25 10:00:01 gw-hq CheckPoint[1]: [${pairs({ action: 'Accept', src: '10.1.2.3' })}]`))
      .toBe('no timestamp: no time field and no RFC 5424 header');
    expect(reason(`[${pairs({ action: 'Accept', src: '10.1.2.3' })}]`)).toBe('no timestamp: no time field and no syslog header');
    expect(reason(conn({ time: 'yesterday' }))).toBe('bad timestamp: time is neither epoch seconds nor ISO 8601');
    expect(reason(conn({ time: undefined }).replace('2026-11-25T10:00:01Z', '2026-11-25T25:00:01Z')))
      .toBe('bad timestamp: RFC 5424 header timestamp');
  });

  it('rejects bad addresses, ports and byte counts', () => {
    expect(reason(urlf({ src: 'laptop-42' }))).toBe('bad src address');
    expect(reason(urlf({ dst: '10.1.2' }))).toBe('bad dst address');
    expect(reason(urlf({ service: '70000' }))).toBe('bad service port');
    expect(reason(urlf({ client_outbound_bytes: '-1' }))).toBe('bad client_outbound_bytes');
    expect(reason(urlf({ server_outbound_bytes: 'lots' }))).toBe('bad server_outbound_bytes');
  });

  it('checks the port before the byte counts, and reads a service name as no port', () => {
    expect(reason(urlf({ service: '70000', client_outbound_bytes: '-1' }))).toBe('bad service port');
    expect(reason(urlf({ client_outbound_bytes: '-1', server_outbound_bytes: 'lots' }))).toBe('bad client_outbound_bytes');
    expect(ok(conn({ service: 'https' }))).toMatchObject({ destPort: null, bytesOut: null, bytesIn: null });
  });

  it('refuses an unknown time zone when the parser is made', () => {
    expect(() => createCheckpointParser({ timeZone: 'Europe/Atlantis' })).toThrow(RangeError);
    expect(CHECKPOINT_FORMAT).toBe('checkpoint');
  });
});

describe('checkpoint — robustness', () => {
  const ALPHABET = '[]:;" \\<>0123456789-.TZactionsrcdtimeAcceptDrophttps://a/';

  it('never throws on arbitrary strings and returns an event or a reason', () => {
    fc.assert(fc.property(randomLine(ALPHABET), (line) => expectWellFormed(parse(line, ctx), 'checkpoint')), { numRuns: 2000 });
  });

  it('never throws on mutated valid lines', () => {
    let accepted = 0;
    fc.assert(fc.property(mutatedLine([urlf(), conn(), conn({ time: undefined })], ALPHABET), (line) => {
      const result = parse(line, ctx);
      expectWellFormed(result, 'checkpoint');
      if (result.ok) accepted++;
    }), { numRuns: 2000 });
    expect(accepted).toBeGreaterThan(100);
  });
});
