import { EVENT_FIELDS, type NormalizedEvent, type ParseContext, type ParseResult } from '@shadow-ai/core';
import { describe, expect, it } from 'vitest';
import { parseSquid } from './squid.parser.ts';

const ctx: ParseContext = { receivedAt: new Date('2030-01-01T00:00:00.000Z') };

// 1795600800 = 2026-11-25T10:00:00Z
const NATIVE_TUNNEL =
  '1795600800.123    245 10.1.2.3 TCP_TUNNEL/200 5120 CONNECT chatgpt.com:443 alice HIER_DIRECT/104.18.32.47 -';
const NATIVE_POST = '1795600800.456     87 10.1.2.4 TCP_MISS/200 1834 POST http://api.openai.com/v1/chat/completions'
  + ' - HIER_DIRECT/162.159.140.245 application/json';
const COMBINED = '10.1.2.3 - bob [25/Nov/2026:10:00:00 +0100] "CONNECT claude.ai:443 HTTP/1.1" 200 3912 "-"'
  + ' "Mozilla/5.0 (X11; Linux x86_64)" TCP_TUNNEL:HIER_DIRECT';

function ok(line: string): NormalizedEvent {
  const result = parseSquid(line, ctx);
  if (!result.ok) throw new Error(`expected the line to parse, got: ${result.reason}`);
  return result.event;
}

function reason(line: string): string {
  const result = parseSquid(line, ctx);
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.event)}`);
  return result.reason;
}

/** A native line with one field replaced (0-based index into the 10 fields). */
function native(overrides: Record<number, string>): string {
  const fields = ['1795600800.123', '245', '10.1.2.3', 'TCP_MISS/200', '1834', 'GET', 'http://example.com/', '-',
    'HIER_DIRECT/93.184.216.34', 'text/html'];
  for (const [i, value] of Object.entries(overrides)) fields[Number(i)] = value;
  return fields.join(' ');
}

/** A combined line with parts replaced. */
function combined(parts: {
  client?: string; user?: string; time?: string; request?: string; status?: string; size?: string; tail?: string;
} = {}): string {
  return `${parts.client ?? '10.1.2.3'} - ${parts.user ?? 'bob'} [${parts.time ?? '25/Nov/2026:10:00:00 +0100'}]`
    + ` "${parts.request ?? 'GET https://claude.ai/api HTTP/1.1'}" ${parts.status ?? '200'} ${parts.size ?? '3912'}`
    + (parts.tail ?? ' "-" "curl/8.5.0" TCP_MISS:HIER_DIRECT');
}

describe('parseSquid — native layout', () => {
  it('maps every field of a CONNECT line', () => {
    expect(ok(NATIVE_TUNNEL)).toEqual({
      ts: '2026-11-25T10:00:00.123Z', kind: 'proxy', format: 'squid', user: 'alice', srcIp: '10.1.2.3',
      host: 'chatgpt.com', destIp: '104.18.32.47', destPort: 443, url: 'chatgpt.com:443', method: 'CONNECT',
      status: 200, bytesOut: null, bytesIn: 5120, userAgent: null, action: 'allowed', dnsType: null, dnsRcode: null,
    } satisfies NormalizedEvent);
  });

  it('maps every field of a plain HTTP POST with no user', () => {
    expect(ok(NATIVE_POST)).toEqual({
      ts: '2026-11-25T10:00:00.456Z', kind: 'proxy', format: 'squid', user: null, srcIp: '10.1.2.4',
      host: 'api.openai.com', destIp: '162.159.140.245', destPort: 80,
      url: 'http://api.openai.com/v1/chat/completions', method: 'POST', status: 200, bytesOut: null, bytesIn: 1834,
      userAgent: null, action: 'allowed', dnsType: null, dnsRcode: null,
    } satisfies NormalizedEvent);
  });

  it('produces exactly the contract fields', () => {
    expect(Object.keys(ok(NATIVE_TUNNEL)).sort()).toEqual([...EVENT_FIELDS].sort());
  });

  it('parses the example from the brief (epoch 1764064800 is 2025-11-25)', () => {
    const line = '1764064800.123    245 10.1.2.3 TCP_TUNNEL/200 5120 CONNECT chatgpt.com:443 alice '
      + 'HIER_DIRECT/104.18.32.47 -';
    expect(ok(line).ts).toBe('2025-11-25T10:00:00.123Z');
  });

  it('accepts single spaces, padded fields and tabs alike', () => {
    expect(ok(NATIVE_TUNNEL.replace(/ +/g, ' '))).toEqual(ok(NATIVE_TUNNEL));
    expect(ok(NATIVE_TUNNEL.replace(/ +/g, '\t'))).toEqual(ok(NATIVE_TUNNEL));
    expect(ok(`  ${NATIVE_TUNNEL}  \r\n`)).toEqual(ok(NATIVE_TUNNEL));
  });

  it('keeps millisecond precision and pads short fractions', () => {
    expect(ok(native({ 0: '1795600800.007' })).ts).toBe('2026-11-25T10:00:00.007Z');
    expect(ok(native({ 0: '1795600800.5' })).ts).toBe('2026-11-25T10:00:00.500Z');
    expect(ok(native({ 0: '1795600800.123456' })).ts).toBe('2026-11-25T10:00:00.123Z');
    expect(ok(native({ 0: '1795600800' })).ts).toBe('2026-11-25T10:00:00.000Z');
  });

  it('maps TCP_DENIED to action blocked', () => {
    expect(ok(native({ 3: 'TCP_DENIED/403' })).action).toBe('blocked');
  });

  it('maps TCP_DENIED_REPLY and a 407 denial to action blocked', () => {
    expect(ok(native({ 3: 'TCP_DENIED_REPLY/403' })).action).toBe('blocked');
    expect(ok(native({ 3: 'TCP_DENIED/407' })).action).toBe('blocked');
  });

  it('maps every other result code to action allowed', () => {
    for (const code of ['TCP_MISS/200', 'TCP_HIT/200', 'TCP_TUNNEL/200', 'TCP_MISS_ABORTED/000', 'NONE_NONE/400']) {
      expect(ok(native({ 3: code })).action).toBe('allowed');
    }
  });

  it('maps status 000 and - to null', () => {
    expect(ok(native({ 3: 'TCP_MISS_ABORTED/000' })).status).toBeNull();
    expect(ok(native({ 3: 'TCP_MISS/-' })).status).toBeNull();
  });

  it('reads the destination IP from %Sh/%<a, IPv4 or IPv6', () => {
    expect(ok(native({ 8: 'HIER_DIRECT/2606:4700::6810:84e5' })).destIp).toBe('2606:4700::6810:84e5');
  });

  it('leaves destIp null for HIER_NONE/-, a peer name, or no slash', () => {
    expect(ok(native({ 8: 'HIER_NONE/-' })).destIp).toBeNull();
    expect(ok(native({ 8: 'FIRST_UP_PARENT/parent.proxy.corp' })).destIp).toBeNull();
    expect(ok(native({ 8: 'HIER_NONE' })).destIp).toBeNull();
  });

  it('accepts an IPv6 client address', () => {
    expect(ok(native({ 2: '2001:db8::5' })).srcIp).toBe('2001:db8::5');
  });

  it('maps a - client address to null', () => {
    expect(ok(native({ 2: '-' })).srcIp).toBeNull();
  });

  it('maps user - to null and decodes percent-encoded users', () => {
    expect(ok(native({ 7: '-' })).user).toBeNull();
    expect(ok(native({ 7: 'CORP%5Calice' })).user).toBe('CORP\\alice');
    expect(ok(native({ 7: 'bob%40corp.example' })).user).toBe('bob@corp.example');
  });

  it('keeps a user with a stray percent sign as logged', () => {
    expect(ok(native({ 7: '100%bob' })).user).toBe('100%bob');
  });

  it('maps method NONE and - to null', () => {
    expect(ok(native({ 5: 'NONE', 6: 'error:invalid-request' })).method).toBeNull();
    expect(ok(native({ 5: '-' })).method).toBeNull();
  });

  it('names no host for squid error URLs and origin-form URLs', () => {
    const e = ok(native({ 3: 'NONE_NONE/400', 5: 'NONE', 6: 'error:invalid-request' }));
    expect(e).toMatchObject({ url: 'error:invalid-request', host: null, destPort: null, status: 400 });
    expect(ok(native({ 6: '/v1/chat/completions' }))).toMatchObject({ host: null, destPort: null });
  });

  it('maps url - to null', () => {
    expect(ok(native({ 6: '-' }))).toMatchObject({ url: null, host: null, destPort: null });
  });

  it('fills bytesIn from %<st and leaves bytesOut null', () => {
    const e = ok(native({ 4: '987654321012345' }));
    expect(e.bytesIn).toBe(987654321012345);
    expect(e.bytesOut).toBeNull();
    expect(ok(native({ 4: '0' })).bytesIn).toBe(0);
    expect(ok(native({ 4: '-' })).bytesIn).toBeNull();
  });

  it('ignores fields after the 10th (log_mime_hdrs)', () => {
    expect(ok(`${NATIVE_TUNNEL} [Host: chatgpt.com\\r\\n] [HTTP/1.1 200 OK\\r\\n]`)).toEqual(ok(NATIVE_TUNNEL));
  });
});

describe('parseSquid — URL to host and port', () => {
  const target = (url: string, method = 'GET'): Pick<NormalizedEvent, 'url' | 'host' | 'destPort'> => {
    const { url: u, host, destPort } = ok(native({ 5: method, 6: url }));
    return { url: u, host, destPort };
  };

  it('splits CONNECT host:port into host and destPort, keeping url as logged', () => {
    expect(target('ChatGPT.com:443', 'CONNECT')).toEqual({ url: 'ChatGPT.com:443', host: 'chatgpt.com', destPort: 443 });
  });

  it('takes an explicit port from an absolute URL', () => {
    expect(target('http://h.example:8080/p')).toEqual({ url: 'http://h.example:8080/p', host: 'h.example', destPort: 8080 });
  });

  it('defaults destPort by explicit scheme only', () => {
    expect(target('http://a.example/').destPort).toBe(80);
    expect(target('https://a.example/x').destPort).toBe(443);
    expect(target('HTTPS://A.example').destPort).toBe(443);
    expect(target('wss://a.example/socket').destPort).toBe(443);
    expect(target('ftp://a.example/f').destPort).toBe(21);
    expect(target('gopher://a.example/').destPort).toBeNull();
    expect(target('a.example', 'CONNECT')).toEqual({ url: 'a.example', host: 'a.example', destPort: null });
  });

  it('treats an empty port as the scheme default', () => {
    expect(target('http://a.example:/x').destPort).toBe(80);
  });

  it('lowercases the host and removes a trailing dot', () => {
    expect(target('https://API.OpenAI.com./v1').host).toBe('api.openai.com');
  });

  it('ends the host at ?, # or / and drops userinfo', () => {
    expect(target('http://a.example?q=1').host).toBe('a.example');
    expect(target('http://a.example#frag').host).toBe('a.example');
    expect(target('http://user:pa%40ss@a.example:81/').host).toBe('a.example');
    expect(target('http://user:pa%40ss@a.example:81/').destPort).toBe(81);
  });

  it('strips the brackets of IPv6 literal hosts', () => {
    expect(target('[2001:db8::1]:443', 'CONNECT')).toEqual({ url: '[2001:db8::1]:443', host: '2001:db8::1', destPort: 443 });
    expect(target('http://[2001:DB8::1]/x')).toMatchObject({ host: '2001:db8::1', destPort: 80 });
    expect(target('http://[2001:db8::1]:8080/x')).toMatchObject({ host: '2001:db8::1', destPort: 8080 });
  });

  it('accepts an unbracketed IPv6 CONNECT target only as a whole address', () => {
    expect(target('2001:db8::1', 'CONNECT')).toMatchObject({ host: '2001:db8::1', destPort: null });
    expect(target('2001:db8::zz:443', 'CONNECT')).toMatchObject({ host: null, destPort: null });
  });

  it('keeps IPv4 literal hosts', () => {
    expect(target('104.18.32.47:443', 'CONNECT')).toMatchObject({ host: '104.18.32.47', destPort: 443 });
  });

  it('names no host or port for invalid hosts and ports, but keeps the event and its url', () => {
    for (const url of [
      'http://exa$mple.com/', 'http://a..b/', 'http://.a/', 'http:///path', 'http://[2001:db8::1/x',
      'http://[not-v6]:443/', 'http://[2001:db8::1]x/', 'a.example:99999', 'a.example:0', 'a.example:https',
      `http://${'a'.repeat(64)}.example/`, `http://${'abc.'.repeat(70)}com/`, 'http://b\u00fccher.de/', '9ttp://x/',
    ]) {
      expect(target(url, url.includes('://') ? 'GET' : 'CONNECT'), url).toEqual({ url, host: null, destPort: null });
    }
  });

  it('handles a 100 KB URL', () => {
    const url = `https://chatgpt.com/backend-api/conversation?q=${'x'.repeat(100 * 1024)}`;
    expect(target(url)).toEqual({ url, host: 'chatgpt.com', destPort: 443 });
  });
});

describe('parseSquid — combined layout', () => {
  it('maps every field of a CONNECT line, applying the zone offset', () => {
    expect(ok(COMBINED)).toEqual({
      ts: '2026-11-25T09:00:00.000Z', kind: 'proxy', format: 'squid', user: 'bob', srcIp: '10.1.2.3',
      host: 'claude.ai', destIp: null, destPort: 443, url: 'claude.ai:443', method: 'CONNECT', status: 200,
      bytesOut: null, bytesIn: 3912, userAgent: 'Mozilla/5.0 (X11; Linux x86_64)', action: 'allowed', dnsType: null,
      dnsRcode: null,
    } satisfies NormalizedEvent);
  });

  it('applies negative and half-hour offsets and crosses day boundaries', () => {
    expect(ok(combined({ time: '25/Nov/2026:23:30:00 -0500' })).ts).toBe('2026-11-26T04:30:00.000Z');
    expect(ok(combined({ time: '01/Jan/2027:03:00:00 +0530' })).ts).toBe('2026-12-31T21:30:00.000Z');
    expect(ok(combined({ time: '29/Feb/2028:00:00:00 +0000' })).ts).toBe('2028-02-29T00:00:00.000Z');
  });

  it('leaves action null when the %Ss:%Sh suffix is absent', () => {
    const e = ok(combined({ tail: ' "-" "curl/8.5.0"' }));
    expect(e.action).toBeNull();
    expect(e.userAgent).toBe('curl/8.5.0');
  });

  it('maps TCP_DENIED in the suffix to action blocked', () => {
    expect(ok(combined({ status: '403', tail: ' "-" "curl/8.5.0" TCP_DENIED:HIER_NONE' })).action).toBe('blocked');
  });

  it('does not infer blocking from a 403/407 status alone', () => {
    expect(ok(combined({ status: '407', tail: ' "-" "curl/8.5.0"' })).action).toBeNull();
  });

  it('accepts squid common layout (no referer or user-agent), with or without the suffix', () => {
    expect(ok(combined({ tail: ' TCP_MISS:HIER_DIRECT' }))).toMatchObject({ userAgent: null, action: 'allowed' });
    expect(ok(combined({ tail: '' }))).toMatchObject({ userAgent: null, action: null, status: 200, bytesIn: 3912 });
  });

  it('unescapes escaped quotes and backslashes in the user agent', () => {
    const e = ok(combined({ tail: ' "-" "Agent \\"quoted\\" \\\\ x" TCP_MISS:HIER_DIRECT' }));
    expect(e.userAgent).toBe('Agent "quoted" \\ x');
  });

  it('maps user agent - or empty to null', () => {
    expect(ok(combined({ tail: ' "-" "-" TCP_MISS:HIER_DIRECT' })).userAgent).toBeNull();
    expect(ok(combined({ tail: ' "-" "" TCP_MISS:HIER_DIRECT' })).userAgent).toBeNull();
  });

  it('maps user - to null and decodes percent-encoded users', () => {
    expect(ok(combined({ user: '-' })).user).toBeNull();
    expect(ok(combined({ user: 'CORP%5Cbob' })).user).toBe('CORP\\bob');
  });

  it('takes method and url from the request line and an absolute URL for host and port', () => {
    expect(ok(combined())).toMatchObject({
      method: 'GET', url: 'https://claude.ai/api', host: 'claude.ai', destPort: 443,
    });
  });

  it('accepts a request line without the HTTP version', () => {
    expect(ok(combined({ request: 'GET http://a.example/x' }))).toMatchObject({ method: 'GET', url: 'http://a.example/x' });
  });

  it('maps a - request line to null method and url', () => {
    expect(ok(combined({ request: '-', status: '400' }))).toMatchObject({ method: null, url: null, host: null });
  });

  it('maps NONE error:invalid-request to null method and host', () => {
    expect(ok(combined({ request: 'NONE error:invalid-request HTTP/0.0', status: '400' })))
      .toMatchObject({ method: null, url: 'error:invalid-request', host: null, destPort: null });
  });

  it('maps status 000 to null and - size to null', () => {
    expect(ok(combined({ status: '000', size: '-' }))).toMatchObject({ status: null, bytesIn: null });
    expect(ok(combined({ status: '0' })).status).toBeNull();
  });

  it('accepts an IPv6 client and an IPv6 CONNECT target', () => {
    expect(ok(combined({ client: '2001:db8::5', request: 'CONNECT [2001:db8::1]:443 HTTP/1.1' })))
      .toMatchObject({ srcIp: '2001:db8::5', host: '2001:db8::1', destPort: 443, url: '[2001:db8::1]:443' });
  });

  it('handles a 100 KB URL and a long user agent', () => {
    const url = `https://gemini.google.com/app?q=${'y'.repeat(100 * 1024)}`;
    const agent = `Mozilla/5.0 ${'z'.repeat(10_000)}`;
    expect(ok(combined({ request: `POST ${url} HTTP/2.0`, tail: ` "-" "${agent}" TCP_MISS:HIER_DIRECT` })))
      .toMatchObject({ url, host: 'gemini.google.com', userAgent: agent });
  });
});

describe('parseSquid — rejections', () => {
  it('rejects an empty or blank line', () => {
    expect(reason('')).toBe('empty line');
    expect(reason('   \t  \r\n')).toBe('empty line');
  });

  it('rejects comment lines', () => {
    expect(reason('#Fields: time elapsed remotehost code/status bytes method URL rfc931 peerstatus/peerhost type'))
      .toBe('comment line');
  });

  it('rejects binary junk and control characters', () => {
    expect(reason('\u0000\u0001\u0002\u00ff\u00fe')).toMatch(/control characters/);
    expect(reason(`${NATIVE_TUNNEL}\u0000`)).toMatch(/control characters/);
    expect(reason(NATIVE_TUNNEL.replace('alice', 'al\u001bice'))).toMatch(/control characters/);
    expect(reason(`${NATIVE_TUNNEL}\n${NATIVE_POST}`)).toMatch(/control characters/);
  });

  it('rejects garbage as an unsupported layout or too few fields', () => {
    expect(reason('hello world')).toBe('too few fields');
    expect(reason('the quick brown fox jumps over the lazy dog')).toMatch(/^unsupported layout/);
    expect(reason('\ufffd\ufffd\ufffd \ufffd \ufffd \ufffd')).toMatch(/^unsupported layout/);
  });

  it('rejects truncated native lines', () => {
    expect(reason(NATIVE_TUNNEL.slice(0, NATIVE_TUNNEL.indexOf(' alice')))).toBe('too few fields for the squid native layout');
    expect(reason('1795600800.123    245 10.1.2.3 TCP_TUNNEL/200')).toBe('too few fields for the squid native layout');
  });

  it('rejects bad native timestamps', () => {
    for (const ts of ['abc.123', '1795600800.12x', '-1795600800.123', '1795600800.', '.123', '179560080012345.1',
      '1795600800.1234567890', '1e9', '1795600800,123']) {
      expect(reason(native({ 0: ts })), ts).toMatch(/^bad timestamp/);
    }
  });

  it('rejects a non-numeric elapsed time', () => {
    expect(reason(native({ 1: '-5' }))).toBe('bad elapsed time');
  });

  it('rejects a client that is not an IP address', () => {
    expect(reason(native({ 2: 'client.corp' }))).toBe('bad client address');
    expect(reason(native({ 2: '10.1.2.300' }))).toBe('bad client address');
    expect(reason(combined({ client: 'not-an-ip' }))).toBe('bad client address');
  });

  it('rejects a malformed result code', () => {
    expect(reason(native({ 3: '/200' }))).toMatch(/^bad result code/);
    expect(reason(native({ 3: 'tcp_miss/200' }))).toMatch(/^bad result code/);
  });

  it('rejects bad statuses', () => {
    for (const status of ['20', '099', '1000', 'abc', '-200', '2OO']) {
      expect(reason(native({ 3: `TCP_MISS/${status}` })), status).toBe('bad status');
      expect(reason(combined({ status })), status).toBe('bad status');
    }
  });

  it('rejects negative, fractional and overflowing sizes', () => {
    for (const size of ['-1', '12.5', '1e5', '9007199254740993', '99999999999999999999', 'abc']) {
      expect(reason(native({ 4: size })), size).toBe('bad size');
      expect(reason(combined({ size })), size).toBe('bad size');
    }
  });

  it('rejects bad combined timestamps', () => {
    for (const time of ['25/Foo/2026:10:00:00 +0100', '31/Feb/2026:10:00:00 +0000', '29/Feb/2027:10:00:00 +0000',
      '25/Nov/2026:24:00:00 +0000', '25/Nov/2026:10:60:00 +0000', '25/Nov/2026:10:00:60 +0000',
      '25/Nov/2026:10:00:00 0100', '25/Nov/2026:10:00:00 +01:00', '25/Nov/2026:10:00:00 +0160', '25/nov/2026:10:00:00 +0000',
      '25/Nov/26:10:00:00 +0000', '5/Nov/2026:10:00:00 +0000', '00/Nov/2026:10:00:00 +0000', '25/Nov/1969:10:00:00 +0000',
      '2026-11-25T10:00:00Z']) {
      expect(reason(combined({ time })), time).toMatch(/^bad timestamp/);
    }
  });

  it('rejects truncated combined lines', () => {
    expect(reason('10.1.2.3 - bob [25/Nov/2026:10:00:00 +0100')).toBe('truncated line: unterminated [time]');
    expect(reason('10.1.2.3 - bob [25/Nov/2026:10:00:00 +0100]')).toBe('too few fields');
    expect(reason('10.1.2.3 - bob [25/Nov/2026:10:00:00 +0100] "CONNECT claude.ai:443'))
      .toBe('truncated line: unterminated quoted field');
    expect(reason('10.1.2.3 - bob [25/Nov/2026:10:00:00 +0100] "CONNECT claude.ai:443 HTTP/1.1"'))
      .toBe('too few fields: missing status');
    expect(reason('10.1.2.3 - bob [25/Nov/2026:10:00:00 +0100] "CONNECT claude.ai:443 HTTP/1.1" 200'))
      .toBe('too few fields: missing size');
    expect(reason(combined({ tail: ' "-"' }))).toBe('too few fields: referer without user-agent');
    expect(reason(combined({ tail: ' "-" "Mozilla/5.0 (X11' }))).toBe('truncated line: unterminated quoted field');
    expect(reason(combined({ tail: ' "-" "ends with a backslash\\"' }))).toBe('truncated line: unterminated quoted field');
  });

  it('rejects a combined request that is not quoted', () => {
    expect(reason('10.1.2.3 - bob [25/Nov/2026:10:00:00 +0100] GET http://a/ HTTP/1.1 200 5'))
      .toBe('unsupported layout: expected a quoted field');
  });

  it('rejects an unescaped quote inside a quoted field', () => {
    expect(reason(combined({ tail: ' "-" "Agent "quoted" x" TCP_MISS:HIER_DIRECT' })))
      .toBe('malformed quoted field: text right after the closing quote');
  });

  it('rejects unknown trailing data after the combined fields', () => {
    expect(reason(combined({ tail: ' "-" "curl/8.5.0" 1234' }))).toMatch(/^unsupported layout: expected %Ss:%Sh/);
    expect(reason(combined({ tail: ' "-" "curl/8.5.0" TCP_MISS:HIER_DIRECT extra' })))
      .toBe('unsupported layout: unexpected data after %Ss:%Sh');
  });
});

describe('parseSquid — robustness', () => {
  /** mulberry32: small, seeded, good enough to spray inputs. */
  function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const ALPHABET = ' \t0123456789./:-_[]"\\%#@?+TCP_MISSDENIEDHIER_DIRECT/ CONNECT GET http://https://abcxyz\u0000\u00ff\ufffd';

  function check(result: ParseResult): void {
    if (result.ok) {
      expect(Object.keys(result.event).sort()).toEqual([...EVENT_FIELDS].sort());
      expect(result.event.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    } else {
      expect(typeof result.reason).toBe('string');
      expect(result.reason.length).toBeGreaterThan(0);
    }
  }

  it('never throws on 2000 random strings and always returns an event or a reason', () => {
    const rand = prng(0x5eed);
    for (let n = 0; n < 2000; n++) {
      const len = Math.floor(rand() * 200);
      let s = '';
      for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
      check(parseSquid(s, ctx));
    }
  });

  it('never throws on 2000 mutations of valid lines', () => {
    const rand = prng(42);
    const seeds = [NATIVE_TUNNEL, NATIVE_POST, COMBINED];
    let accepted = 0;
    for (let n = 0; n < 2000; n++) {
      const chars = [...(seeds[n % seeds.length] ?? '')];
      const edits = 1 + Math.floor(rand() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rand() * chars.length);
        const op = rand();
        if (op < 0.33) chars.splice(at, 1);
        else if (op < 0.66) chars.splice(at, 0, ALPHABET[Math.floor(rand() * ALPHABET.length)] ?? '');
        else chars.length = at;
      }
      const result = parseSquid(chars.join(''), ctx);
      check(result);
      if (result.ok) accepted++;
    }
    // Sanity: the mutations leave plenty of both outcomes, so both paths were exercised.
    expect(accepted).toBeGreaterThan(100);
    expect(accepted).toBeLessThan(1900);
  });
});
