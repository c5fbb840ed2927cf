import type { LineParser, NormalizedEvent } from '@shadow-ai/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createProxySgParser, PROXYSG_DEFAULT_FIELDS, PROXYSG_FORMAT } from './proxysg.parser.ts';
import { ctx, eventOf, expectWellFormed, mutatedLine, randomLine, reasonOf } from './vendor.test-util.ts';

const ok = (p: LineParser, line: string): NormalizedEvent => eventOf(p(line, ctx));
const reason = (p: LineParser, line: string): string => reasonOf(p(line, ctx));

const DEFAULT_NAMES = PROXYSG_DEFAULT_FIELDS.split(' ');

/** A record in the default layout, fields given by ELFF name; values with blanks are quoted as ProxySG does. */
function main(overrides: Record<string, string> = {}): string {
  const values: Record<string, string> = {
    'date': '2026-11-25', 'time': '10:00:00', 'time-taken': '245', 'c-ip': '10.1.2.3', 'cs-username': 'alice',
    'cs-auth-group': 'CN=Engineering,OU=Groups,DC=corp', 's-exception-id': '-', 'sc-filter-result': 'OBSERVED',
    'cs-categories': 'Technology/Internet;Artificial Intelligence', 'cs(Referer)': '-', 'sc-status': '200',
    's-action': 'TCP_NC_MISS', 'cs-method': 'POST', 'rs(Content-Type)': 'application/json', 'cs-uri-scheme': 'https',
    'cs-host': 'chatgpt.com', 'cs-uri-port': '443', 'cs-uri-path': '/backend-api/conversation',
    'cs-uri-query': '?model=gpt-4o', 'cs-uri-extension': '-', 'cs(User-Agent)': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
    's-ip': '192.0.2.10', 'sc-bytes': '51200', 'cs-bytes': '1834', 'x-virus-id': '-', ...overrides,
  };
  return DEFAULT_NAMES.map((n) => quote(values[n]!)).join(' ');
}

function quote(v: string): string {
  return v === '' || /[\s"]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

describe('proxysg — default bcreportermain_v1 layout', () => {
  it('maps every field of a record before any #Fields: line', () => {
    expect(ok(createProxySgParser(), main())).toEqual({
      ts: '2026-11-25T10:00:00.000Z', kind: 'proxy', format: 'proxysg', user: 'alice', srcIp: '10.1.2.3',
      host: 'chatgpt.com', destIp: null, destPort: 443, url: 'https://chatgpt.com/backend-api/conversation?model=gpt-4o',
      method: 'POST', status: 200, bytesOut: 1834, bytesIn: 51200, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
      action: 'allowed', dnsType: null, dnsRcode: null,
    } satisfies NormalizedEvent);
  });

  it('logs a CONNECT tunnel as host:port', () => {
    const e = ok(createProxySgParser(), main({
      'cs-method': 'CONNECT', 'cs-uri-scheme': 'tcp', 'cs-uri-path': '/', 'cs-uri-query': '-', 's-action': 'TCP_TUNNELED',
      'cs-host': 'claude.ai',
    }));
    expect(e).toMatchObject({ url: 'claude.ai:443', host: 'claude.ai', destPort: 443, method: 'CONNECT', action: 'allowed' });
  });

  it('maps a DENIED filter result, or a DENIED s-action without one, to blocked', () => {
    const p = createProxySgParser();
    expect(ok(p, main({ 'sc-filter-result': 'DENIED', 's-action': 'TCP_DENIED', 'sc-status': '403' })).action).toBe('blocked');
    expect(ok(p, main({ 'sc-filter-result': '-', 's-action': 'TCP_DENIED' })).action).toBe('blocked');
    expect(ok(p, main({ 'sc-filter-result': 'PROXIED' })).action).toBe('allowed');
    expect(ok(p, main({ 'sc-filter-result': '-', 's-action': '-' })).action).toBeNull();
  });

  it('maps - placeholders to null', () => {
    const e = ok(createProxySgParser(), main({
      'cs-username': '-', 'cs(User-Agent)': '-', 'sc-status': '0', 'sc-bytes': '-', 'cs-bytes': '-', 'cs-method': '-',
    }));
    expect(e).toMatchObject({ user: null, userAgent: null, status: null, bytesIn: null, bytesOut: null, method: null });
  });

  it('adds a ? to a query logged without one, and a non-default port to the URL', () => {
    const p = createProxySgParser();
    expect(ok(p, main({ 'cs-uri-query': 'q=1' })).url).toBe('https://chatgpt.com/backend-api/conversation?q=1');
    expect(ok(p, main({ 'cs-uri-port': '8443', 'cs-uri-query': '-' }))).toMatchObject({
      url: 'https://chatgpt.com:8443/backend-api/conversation', destPort: 8443,
    });
  });

  it('leaves the URL null without a scheme but keeps host and port', () => {
    expect(ok(createProxySgParser(), main({ 'cs-uri-scheme': '-' }))).toMatchObject({
      url: null, host: 'chatgpt.com', destPort: 443,
    });
  });

  it('lowercases the host and accepts IPv6 client and host literals', () => {
    const p = createProxySgParser();
    expect(ok(p, main({ 'cs-host': 'Gemini.Google.COM' })).host).toBe('gemini.google.com');
    expect(ok(p, main({ 'c-ip': '2001:db8::5', 'cs-host': '2001:DB8::1', 'cs-uri-port': '8080' }))).toMatchObject({
      srcIp: '2001:db8::5', host: '2001:db8::1', url: 'https://[2001:DB8::1]:8080/backend-api/conversation?model=gpt-4o',
    });
  });

  it('unescapes doubled and backslashed quotes in quoted fields and keeps non-ASCII text', () => {
    const p = createProxySgParser();
    expect(ok(p, main({ 'cs(User-Agent)': 'Agent "x" (Ünïcode)' })).userAgent).toBe('Agent "x" (Ünïcode)');
    const backslashed = main({ 'cs(User-Agent)': 'PLACEHOLDER' }).replace('PLACEHOLDER', '"Agent \\"y\\" z"');
    expect(ok(p, backslashed).userAgent).toBe('Agent "y" z');
    expect(ok(p, main({ 'cs-username': 'CORP\\josé' })).user).toBe('CORP\\josé');
  });

  it('handles a very long path', () => {
    const path = `/c/${'x'.repeat(50_000)}`;
    expect(ok(createProxySgParser(), main({ 'cs-uri-path': path, 'cs-uri-query': '-' })).url).toBe(`https://chatgpt.com${path}`);
  });
});

describe('proxysg — #Fields: layouts', () => {
  const CUSTOM = '#Fields: x-timestamp-unix c-ip cs-username s-action sc-status cs-method cs-uri s-supplier-ip sc-bytes cs-bytes cs(User-Agent)';

  it('reads records in the layout of the last #Fields: line, which may change mid-stream', () => {
    const p = createProxySgParser();
    expect(p('#Software: SGOS 7.3.16.2', ctx)).toEqual({ ok: false, reason: 'ELFF directive or comment', skip: true });
    expect(p(CUSTOM, ctx)).toEqual({ ok: false, reason: '#Fields: directive', skip: true });
    const custom = '1795600800 10.1.2.4 bob TCP_MISS 200 GET https://copilot.microsoft.com/c/x 13.107.21.200 900 400 "curl/8.5.0"';
    expect(ok(p, custom)).toEqual({
      ts: '2026-11-25T10:00:00.000Z', kind: 'proxy', format: 'proxysg', user: 'bob', srcIp: '10.1.2.4',
      host: 'copilot.microsoft.com', destIp: '13.107.21.200', destPort: 443, url: 'https://copilot.microsoft.com/c/x',
      method: 'GET', status: 200, bytesOut: 400, bytesIn: 900, userAgent: 'curl/8.5.0', action: 'allowed', dnsType: null,
      dnsRcode: null,
    } satisfies NormalizedEvent);
    expect(reason(p, main())).toBe('too many fields for the current #Fields: layout');
    expect(p(`#Fields: ${PROXYSG_DEFAULT_FIELDS}`, ctx)).toMatchObject({ skip: true });
    expect(ok(p, main()).host).toBe('chatgpt.com');
  });

  it('keeps the layout per parser instance', () => {
    const a = createProxySgParser();
    const b = createProxySgParser();
    a(CUSTOM, ctx);
    expect(ok(b, main()).url).toBe('https://chatgpt.com/backend-api/conversation?model=gpt-4o');
    expect(reason(a, main())).toBe('too many fields for the current #Fields: layout');
  });

  it('matches field names case-insensitively and accepts the x-exception-id spelling', () => {
    const p = createProxySgParser();
    p(`#fields: ${PROXYSG_DEFAULT_FIELDS.toUpperCase().replace('S-EXCEPTION-ID', 'x-exception-id')}`, ctx);
    expect(ok(p, main()).userAgent).toBe('Mozilla/5.0 (Windows NT 10.0; Win64; x64)');
  });

  it('reports layouts without a time and an empty #Fields: directive', () => {
    const p = createProxySgParser();
    expect(reason(p, '#Fields:')).toBe('empty #Fields: directive');
    expect(ok(p, main()).host).toBe('chatgpt.com');
    p('#Fields: c-ip cs-host', ctx);
    expect(reason(p, '10.1.2.3 chatgpt.com')).toBe('layout has no date/time fields');
    expect(reason(p, '10.1.2.3')).toBe('too few fields for the current #Fields: layout');
  });
});

describe('proxysg — rejections', () => {
  const p = createProxySgParser();

  it('rejects empty lines and control characters', () => {
    expect(reason(p, '')).toBe('empty line');
    expect(reason(p, `${main()}\u001b`)).toBe('binary or control characters in line');
  });

  it('rejects bad timestamps, addresses, statuses, sizes and ports', () => {
    expect(reason(p, main({ date: '2026-13-01' }))).toMatch(/^bad timestamp/);
    expect(reason(p, main({ date: '-', time: '-' }))).toBe('no timestamp: date/time are -');
    expect(reason(p, main({ 'c-ip': 'laptop' }))).toBe('bad client address (c-ip)');
    expect(reason(p, main({ 'sc-status': '2000' }))).toBe('bad status (sc-status)');
    expect(reason(p, main({ 'sc-bytes': '-1' }))).toBe('bad sc-bytes');
    expect(reason(p, main({ 'cs-bytes': '1.0' }))).toBe('bad cs-bytes');
    expect(reason(p, main({ 'cs-uri-port': 'https' }))).toBe('bad port (cs-uri-port)');
  });

  it('rejects truncated lines and malformed quotes', () => {
    expect(reason(p, main().split(' ').slice(0, 10).join(' '))).toBe('too few fields for the current #Fields: layout');
    expect(reason(p, main().replace('"Mozilla', 'Mozilla'))).toBe('too many fields for the current #Fields: layout');
    expect(reason(p, '2026-11-25 10:00:00 "unterminated')).toBe('truncated line: unterminated quoted field');
    expect(reason(p, '2026-11-25 10:00:00 "a"b')).toBe('malformed quoted field: text right after the closing quote');
    expect(PROXYSG_FORMAT).toBe('proxysg');
  });
});

describe('proxysg — robustness', () => {
  const ALPHABET = ' "#-0123456789:./abcdefhpstFields:TCP_MISSDENIEDOBSERVED';

  it('never throws on arbitrary strings and returns an event, a skip or a reason', () => {
    const p = createProxySgParser();
    fc.assert(fc.property(randomLine(ALPHABET), (line) => expectWellFormed(p(line, ctx), 'proxysg')), { numRuns: 2000 });
  });

  it('never throws on mutated valid lines and random #Fields: directives in between', () => {
    const p = createProxySgParser();
    let accepted = 0;
    const header = fc.subarray([...DEFAULT_NAMES, 'cs-uri', 'x-timestamp-unix', 's-supplier-ip'], { minLength: 0 })
      .map((names) => `#Fields: ${names.join(' ')}`);
    const line = fc.oneof({ weight: 10, arbitrary: mutatedLine([main(), main({ 'cs-method': 'CONNECT' })], ALPHABET) },
      { weight: 1, arbitrary: header }, { weight: 1, arbitrary: fc.constant(`#Fields: ${PROXYSG_DEFAULT_FIELDS}`) });
    fc.assert(fc.property(fc.array(line, { maxLength: 20 }), (lines) => {
      for (const l of lines) {
        const result = p(l, ctx);
        expectWellFormed(result, 'proxysg');
        if (result.ok) accepted++;
      }
    }), { numRuns: 300 });
    expect(accepted).toBeGreaterThan(100);
  });
});
