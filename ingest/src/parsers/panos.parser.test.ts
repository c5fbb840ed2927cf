import type { NormalizedEvent } from '@shadow-ai/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPanosParser, PANOS_FORMAT } from './panos.parser.ts';
import { ctx, eventOf, expectWellFormed, mutatedLine, randomLine, reasonOf } from './vendor.test-util.ts';

const parse = createPanosParser();
const ok = (line: string, p = parse): NormalizedEvent => eventOf(p(line, ctx));
const reason = (line: string, p = parse): string => reasonOf(p(line, ctx));

/** The shared head (indexes 0–29) as a firewall in Europe/Berlin logs it: 11:00 local is 10:00 UTC. */
function head(type: string, subtype: string): string[] {
  return [
    '1', '2026/11/25 11:00:01', '012801096514', type, subtype, '2561', '2026/11/25 11:00:00', '10.1.2.3', '104.18.32.47',
    '203.0.113.5', '104.18.32.47', 'allow-web', 'corp\\alice', '', 'openai-chatgpt', 'vsys1', 'trust', 'untrust',
    'ethernet1/2', 'ethernet1/1', 'fwd', '2026/11/25 11:00:01', '123456', '1', '51234', '443', '40001', '443',
    type === 'TRAFFIC' ? '0x40001c' : '0x40b000', 'tcp',
  ];
}

/** TRAFFIC fields 30–53 (through Action Source, as PAN-OS 9.1 ends its common part). */
const TRAFFIC_TAIL = [
  'allow', '15360', '5120', '10240', '40', '2026/11/25 10:59:50', '10', 'computer-and-internet-info', '0', '7080',
  '0x8000000000000000', '10.0.0.0-10.255.255.255', 'United States', '0', '20', '20', 'tcp-fin', '0', '0', '0', '0', '',
  'PA-VM', 'from-policy',
];

/** THREAT/url fields 30–63 (through HTTP Method). */
const URL_TAIL = [
  'alert', 'chatgpt.com/backend-api/conversation', '(9999)', 'artificial-intelligence', 'informational',
  'client-to-server', '7081', '0x8000000000000000', '10.0.0.0-10.255.255.255', 'United States', '0', 'application/json',
  '0', '', '', '1', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)', '', '', 'https://chatgpt.com/', '', '', '', '0', '0', '0',
  '0', '0', '', 'PA-VM', '', '', '', 'post',
];

/** Fields PAN-OS 10.x/11.x append after those, ending with a High Resolution Timestamp and a few more. */
function laterFields(highRes: string | null): string[] {
  const fields = ['0', '', '0', '', 'N/A', 'unknown', 'AppThreat-8790-8100', '0x0', '0', '4294967295', '', '', '', '',
    '1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718', '0', '', '', '', '', '', '', '', '', '', '', '', ''];
  if (highRes !== null) fields.push(highRes, '', '', '0');
  return fields;
}

function csvLine(fields: readonly string[]): string {
  return fields.map((f) => (/[",]/.test(f) || f.includes(' ') && f.startsWith('Mozilla') ? `"${f.replace(/"/g, '""')}"` : f)).join(',');
}

function traffic(overrides: Record<number, string> = {}, highRes: string | null = '2026-11-25T11:00:00.456+01:00'): string {
  const f = [...head('TRAFFIC', 'end'), ...TRAFFIC_TAIL, ...laterFields(highRes)];
  for (const [i, v] of Object.entries(overrides)) f[Number(i)] = v;
  return csvLine(f);
}

function url(overrides: Record<number, string> = {}, highRes: string | null = '2026-11-25T11:00:00.789+01:00'): string {
  const f = [...head('THREAT', 'url'), ...URL_TAIL, ...laterFields(highRes)];
  for (const [i, v] of Object.entries(overrides)) f[Number(i)] = v;
  return csvLine(f);
}

const BSD = '<14>Nov 25 11:00:01 PA-VM ';
const IETF = '<14>1 2026-11-25T11:00:01.000+01:00 PA-VM - - - - ';

describe('panos — TRAFFIC log', () => {
  it('maps every field of a traffic log', () => {
    expect(ok(BSD + traffic())).toEqual({
      ts: '2026-11-25T10:00:00.456Z', kind: 'flow', format: 'panos', user: 'corp\\alice', srcIp: '10.1.2.3', host: null,
      destIp: '104.18.32.47', destPort: 443, url: null, method: null, status: null, bytesOut: 5120, bytesIn: 10240,
      userAgent: null, action: 'allowed', dnsType: null, dnsRcode: null,
    } satisfies NormalizedEvent);
  });

  it('accepts the CSV with no syslog header, a BSD header or an IETF header', () => {
    const expected = ok(traffic());
    expect(ok(BSD + traffic())).toEqual(expected);
    expect(ok(IETF + traffic())).toEqual(expected);
  });

  it('without a High Resolution Timestamp reads Generated Time in the configured zone', () => {
    expect(ok(traffic({}, null)).ts).toBe('2026-11-25T11:00:00.000Z');
    expect(ok(traffic({}, null), createPanosParser({ timeZone: 'Europe/Berlin' })).ts).toBe('2026-11-25T10:00:00.000Z');
  });

  it('prefers a High Resolution Timestamp over Generated Time, in any zone setting', () => {
    const tokyo = createPanosParser({ timeZone: 'Asia/Tokyo' });
    expect(ok(traffic({}, '2026-11-25T10:00:00.001Z'), tokyo).ts).toBe('2026-11-25T10:00:00.001Z');
    expect(ok(traffic({}, '2026-11-25T05:00:00.002-0500')).ts).toBe('2026-11-25T10:00:00.002Z');
  });

  it('ignores an ISO stamp without a zone (it would be local time again)', () => {
    expect(ok(traffic({}, '2026-11-25T11:00:00.456')).ts).toBe('2026-11-25T11:00:00.000Z');
  });

  it('accepts the shorter PAN-OS 9.1 line and tolerates extra trailing fields', () => {
    expect(ok([...head('TRAFFIC', 'end'), ...TRAFFIC_TAIL].join(','))).toMatchObject({ bytesOut: 5120, bytesIn: 10240 });
    expect(ok([...head('TRAFFIC', 'end'), ...TRAFFIC_TAIL.slice(0, 4)].join(','))).toMatchObject({ bytesIn: 10240 });
    expect(ok(`${traffic()},x,y,"z,w",${'0,'.repeat(200)}0`).ts).toBe('2026-11-25T10:00:00.456Z');
  });

  it('maps deny, drop and reset actions to blocked', () => {
    for (const action of ['deny', 'drop', 'drop-icmp', 'reset-client', 'reset-server', 'reset-both']) {
      expect(ok(traffic({ 30: action })).action, action).toBe('blocked');
    }
    expect(ok(traffic({ 30: 'something-new' })).action).toBeNull();
  });

  it('accepts IPv6 addresses, no user and no destination port', () => {
    expect(ok(traffic({ 7: '2001:db8::5', 8: '2606:4700::6812:2030', 12: '', 25: '0' }))).toMatchObject({
      srcIp: '2001:db8::5', destIp: '2606:4700::6812:2030', user: null, destPort: null,
    });
  });

  it('maps empty byte counts to null', () => {
    expect(ok(traffic({ 32: '', 33: '' }))).toMatchObject({ bytesOut: null, bytesIn: null });
  });
});

describe('panos — URL Filtering log (THREAT/url)', () => {
  it('maps every field of a URL filtering log', () => {
    expect(ok(BSD + url())).toEqual({
      ts: '2026-11-25T10:00:00.789Z', kind: 'proxy', format: 'panos', user: 'corp\\alice', srcIp: '10.1.2.3',
      host: 'chatgpt.com', destIp: '104.18.32.47', destPort: 443, url: 'chatgpt.com/backend-api/conversation',
      method: 'POST', status: null, bytesOut: null, bytesIn: null, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
      action: 'allowed', dnsType: null, dnsRcode: null,
    } satisfies NormalizedEvent);
  });

  it('keeps a quoted URL with commas and escaped quotes whole', () => {
    const e = ok(url({ 31: 'claude.ai/api/x?a=1,2&q="hi"' }));
    expect(e).toMatchObject({ url: 'claude.ai/api/x?a=1,2&q="hi"', host: 'claude.ai', method: 'POST' });
  });

  it('takes the host from the URL, lowercased, with a port, an IPv6 literal or non-ASCII', () => {
    expect(ok(url({ 31: 'API.OpenAI.com:8443/v1/' })).host).toBe('api.openai.com');
    expect(ok(url({ 31: '[2001:db8::1]/x' })).host).toBe('2001:db8::1');
    expect(ok(url({ 31: 'bücher.example/ki' }))).toMatchObject({ url: 'bücher.example/ki', host: null });
  });

  it('handles a very long URL', () => {
    const long = `gemini.google.com/app?q=${'x'.repeat(10_000)}`;
    expect(ok(url({ 31: long }))).toMatchObject({ url: long, host: 'gemini.google.com' });
  });

  it('maps the URL filtering actions', () => {
    for (const action of ['allow', 'alert', 'continue', 'override']) expect(ok(url({ 30: action })).action, action).toBe('allowed');
    for (const action of ['block-url', 'block-continue', 'block-override', 'override-lockout', 'reset-both', 'drop', 'deny']) {
      expect(ok(url({ 30: action })).action, action).toBe('blocked');
    }
  });

  it('uppercases the logged HTTP method and drops unknown ones', () => {
    expect(ok(url({ 63: 'get' })).method).toBe('GET');
    expect(ok(url({ 63: 'Connect' })).method).toBe('CONNECT');
    expect(ok(url({ 63: 'unknown' })).method).toBeNull();
  });

  it('accepts an older, shorter URL log without user agent or method', () => {
    const short = [...head('THREAT', 'url'), ...URL_TAIL.slice(0, 12)].join(',');
    expect(ok(short)).toMatchObject({ host: 'chatgpt.com', userAgent: null, method: null, ts: '2026-11-25T11:00:00.000Z' });
  });

  it('maps an empty URL to null', () => {
    expect(ok(url({ 31: '' }))).toMatchObject({ url: null, host: null });
  });
});

describe('panos — rejections', () => {
  it('rejects empty lines, control characters and non-CSV text', () => {
    expect(reason('')).toBe('empty line');
    expect(reason(`${traffic()}\u0007`)).toBe('binary or control characters in line');
    expect(reason('hello world')).toBe('unsupported layout: not a PAN-OS CSV log');
  });

  it('rejects other log types and THREAT subtypes', () => {
    const system = '1,2026/11/25 11:00:00,012801096514,SYSTEM,general,0,2026/11/25 11:00:00,,general,,0,0,general,'
      + 'informational,"User admin logged in",7081,0x0,0,0,0,0,,PA-VM';
    expect(reason(system)).toBe('unsupported log type: only TRAFFIC and THREAT (url) are parsed');
    expect(reason(url({ 4: 'spyware' }))).toBe('unsupported THREAT subtype: only url (URL Filtering) is parsed');
  });

  it('rejects truncated lines', () => {
    expect(reason('1,2026/11/25 11:00:00,012801096514')).toBe('too few fields for a PAN-OS log');
    expect(reason([...head('TRAFFIC', 'end'), 'allow', '100'].join(','))).toBe('too few fields for a PAN-OS TRAFFIC log');
    expect(reason(head('THREAT', 'url').join(','))).toBe('too few fields for a PAN-OS URL log');
  });

  it('rejects a bad Generated Time when there is no High Resolution Timestamp', () => {
    for (const t of ['2026/11/31 10:00:00', '25/11/2026 10:00:00', '', 'now']) {
      expect(reason(traffic({ 6: t }, null)), t).toMatch(/^bad timestamp/);
    }
  });

  it('rejects bad addresses, ports and byte counts', () => {
    expect(reason(traffic({ 7: 'laptop-42' }))).toBe('bad source address');
    expect(reason(traffic({ 8: '' }))).toBe('bad destination address');
    expect(reason(traffic({ 25: '70000' }))).toBe('bad destination port');
    expect(reason(traffic({ 32: '-1' }))).toBe('bad bytes sent');
    expect(reason(traffic({ 33: '1e3' }))).toBe('bad bytes received');
  });

  it('rejects badly quoted fields', () => {
    expect(reason(`${head('THREAT', 'url').join(',')},alert,"chatgpt.com/x`)).toBe('truncated line: unterminated quoted field');
    expect(reason(`${head('THREAT', 'url').join(',')},alert,"chatgpt.com/x"y,1`))
      .toBe('malformed quoted field: text right after the closing quote');
  });

  it('refuses an unknown time zone when the parser is made', () => {
    expect(() => createPanosParser({ timeZone: 'Nowhere/Special' })).toThrow(RangeError);
    expect(PANOS_FORMAT).toBe('panos');
  });
});

describe('panos — robustness', () => {
  const ALPHABET = ',"0123456789/: -.TZ+THREATRAFFICurlallowdeny\\';

  it('never throws on arbitrary strings and returns an event or a reason', () => {
    fc.assert(fc.property(randomLine(ALPHABET), (line) => expectWellFormed(parse(line, ctx), 'panos')), { numRuns: 2000 });
  });

  it('never throws on mutated valid lines', () => {
    let accepted = 0;
    fc.assert(fc.property(mutatedLine([BSD + traffic(), url(), traffic({}, null)], ALPHABET), (line) => {
      const result = parse(line, ctx);
      expectWellFormed(result, 'panos');
      if (result.ok) accepted++;
    }), { numRuns: 2000 });
    expect(accepted).toBeGreaterThan(100);
  });
});
