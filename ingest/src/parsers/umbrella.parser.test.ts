import type { NormalizedEvent } from '@shadow-ai/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createUmbrellaDnsParser, createUmbrellaProxyParser, parseUmbrellaDns, parseUmbrellaProxy, UMBRELLA_DNS_FORMAT,
  UMBRELLA_PROXY_FORMAT,
} from './umbrella.parser.ts';
import { ctx, eventOf, expectWellFormed, mutatedLine, randomLine, reasonOf } from './vendor.test-util.ts';

const dnsOk = (line: string): NormalizedEvent => eventOf(parseUmbrellaDns(line, ctx));
const dnsReason = (line: string): string => reasonOf(parseUmbrellaDns(line, ctx));
const proxyOk = (line: string): NormalizedEvent => eventOf(parseUmbrellaProxy(line, ctx));
const proxyReason = (line: string): string => reasonOf(parseUmbrellaProxy(line, ctx));

function csv(cols: readonly string[]): string {
  return cols.map((c) => `"${c.replace(/"/g, '""')}"`).join(',');
}

/** A DNS log record of a recent schema version (16 columns), with columns replaced. */
function dns(overrides: Record<number, string> = {}, count = 16): string {
  const cols = [
    '2026-11-25 10:00:00', 'Alice Smith (alice@corp.example)', 'Alice Smith (alice@corp.example),HQ,Corp Network',
    '10.1.2.3', '198.51.100.7', 'Allowed', '1 (A)', 'NOERROR', 'chatgpt.com.', 'Generative AI,Chat', 'AD User',
    'AD User,Site,Network', '', '1234567', '', '2204063',
  ];
  for (const [i, v] of Object.entries(overrides)) cols[Number(i)] = v;
  return csv(cols.slice(0, count));
}

/** A web (proxy) log record of a recent schema version (49 columns), with columns replaced. */
function proxy(overrides: Record<number, string> = {}, count = 49): string {
  const cols = [
    '2026-11-25 10:00:00', 'LAPTOP-42', '10.1.2.3', '198.51.100.7', '104.18.32.47', 'application/json', 'ALLOWED',
    'https://chatgpt.com/backend-api/conversation', 'https://chatgpt.com/', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
    '200', '1834', '51200', '51000', '', 'Generative AI', '', '', '', '', '', 'Roaming Computer', '',
    'LAPTOP-42,alice@corp.example,HQ', 'Roaming Computer,Directory User,Site', 'POST', '', '', '', '', '', '', '', '', '',
    '', 'SWA', '', '', '', 'swg-proxy-https-1.atl1', 'ATL1', 'true', 'chatgpt.com', 'false', 'false', '', '', '2204063',
  ];
  for (const [i, v] of Object.entries(overrides)) cols[Number(i)] = v;
  return csv(cols.slice(0, count));
}

describe('umbrella-dns', () => {
  it('maps every field of a recent DNS log record', () => {
    expect(dnsOk(dns())).toEqual({
      ts: '2026-11-25T10:00:00.000Z', kind: 'dns', format: 'umbrella-dns', user: 'Alice Smith (alice@corp.example)',
      srcIp: '10.1.2.3', host: 'chatgpt.com', destIp: null, destPort: null, url: null, method: null, status: null,
      bytesOut: null, bytesIn: null, userAgent: null, action: 'allowed', dnsType: 'A', dnsRcode: 'NOERROR',
    } satisfies NormalizedEvent);
  });

  it('reads the shortest (9-column) version, where no identity type says who is a user', () => {
    expect(dnsOk(dns({}, 9))).toMatchObject({ user: null, host: 'chatgpt.com', dnsType: 'A', srcIp: '10.1.2.3' });
    expect(dnsOk(dns({}, 10)).user).toBeNull();
  });

  it('takes the user from the identity lists when the most granular identity is not a user', () => {
    expect(dnsOk(dns({ 1: 'Corp Network', 2: 'Corp Network,bob@corp.example', 10: 'Network', 11: 'Network,AD User' })).user)
      .toBe('bob@corp.example');
    expect(dnsOk(dns({ 1: 'Corp Network', 2: 'Corp Network', 10: 'Network', 11: 'Network' })).user).toBeNull();
  });

  it('leaves the user null when the identity lists do not line up', () => {
    expect(dnsOk(dns({ 1: 'Corp Network', 2: 'Doe, John,Corp Network', 10: 'Network', 11: 'AD User,Network' })).user)
      .toBeNull();
  });

  it('reads query types in their forms', () => {
    expect(dnsOk(dns({ 6: '28 (AAAA)' })).dnsType).toBe('AAAA');
    expect(dnsOk(dns({ 6: '65 (HTTPS)' })).dnsType).toBe('HTTPS');
    expect(dnsOk(dns({ 6: '65' })).dnsType).toBe('TYPE65');
    expect(dnsOk(dns({ 6: '' })).dnsType).toBeNull();
  });

  it('maps Blocked, response codes and the queried name', () => {
    expect(dnsOk(dns({ 5: 'Blocked', 7: 'NXDOMAIN', 8: 'API.OpenAI.com.' }))).toMatchObject({
      action: 'blocked', dnsRcode: 'NXDOMAIN', host: 'api.openai.com',
    });
    expect(dnsOk(dns({ 5: 'Proxied' })).action).toBeNull();
    expect(dnsOk(dns({ 7: '' })).dnsRcode).toBeNull();
  });

  it('keeps the event but no host for names that are not hostnames', () => {
    expect(dnsOk(dns({ 8: 'bücher.example.' })).host).toBeNull();
    expect(dnsOk(dns({ 8: '.' })).host).toBeNull();
  });

  it('accepts IPv6 and empty internal addresses', () => {
    expect(dnsOk(dns({ 3: '2001:db8::5', 4: '2001:db8:ffff::1' })).srcIp).toBe('2001:db8::5');
    expect(dnsOk(dns({ 3: '' })).srcIp).toBeNull();
  });

  it('tolerates blanks after the separators, as the documentation prints records', () => {
    expect(dnsOk(dns().replace(/","/g, '", "'))).toEqual(dnsOk(dns()));
  });

  it('skips the optional header row', () => {
    const result = parseUmbrellaDns('"Timestamp","Most Granular Identity","Identities","Internal IP","External IP","Action"', ctx);
    expect(result).toEqual({ ok: false, reason: 'column header row', skip: true });
  });

  it('rejects malformed records with clear reasons', () => {
    expect(dnsReason('')).toBe('empty line');
    expect(dnsReason(`${dns()}\u0000`)).toBe('binary or control characters in line');
    expect(dnsReason('2026-11-25 10:00:00,x,y')).toBe('unsupported layout: expected a quoted CSV record');
    expect(dnsReason(dns({}, 8))).toBe('too few columns for an Umbrella DNS log (need at least 9)');
    expect(dnsReason(dns({ 0: '2026-11-25T25:00:00' }))).toBe('bad timestamp: expected 2026-11-25 10:00:00');
    expect(dnsReason(dns({ 3: 'laptop' }))).toBe('bad internal ip');
    expect(dnsReason(dns({ 4: '300.1.1.1' }))).toBe('bad external ip');
    expect(dnsReason(dns({ 6: 'x (A)' }))).toBe('bad query type: expected like "1 (A)"');
    expect(dnsReason(dns({ 6: '1 (a)' }))).toBe('bad query type: expected like "1 (A)"');
    expect(dnsReason(dns({ 6: 'ALLOWED' }))).toBe('bad query type: expected like "1 (A)"');
    expect(dnsReason(dns({ 8: 'https://chatgpt.com/' }))).toBe('bad domain: a URL, not a DNS name');
    expect(dnsReason(dns({ 8: '' }))).toBe('no domain');
    expect(dnsReason('"2026-11-25 10:00:00","Alice')).toBe('truncated line: unterminated quoted field');
  });

  it('does not take a web log record for a DNS one', () => {
    expect(dnsReason(proxy())).toBe('bad query type: expected like "1 (A)"');
    expect(dnsReason(proxy({ 6: '1 (A)' }))).toBe('bad domain: a URL, not a DNS name');
  });
});

describe('umbrella-proxy', () => {
  it('maps every field of a recent web log record', () => {
    expect(proxyOk(proxy())).toEqual({
      ts: '2026-11-25T10:00:00.000Z', kind: 'proxy', format: 'umbrella-proxy', user: 'alice@corp.example',
      srcIp: '10.1.2.3', host: 'chatgpt.com', destIp: '104.18.32.47', destPort: 443,
      url: 'https://chatgpt.com/backend-api/conversation', method: 'POST', status: 200, bytesOut: 1834, bytesIn: 51200,
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)', action: 'allowed', dnsType: null, dnsRcode: null,
    } satisfies NormalizedEvent);
  });

  it('reads the shortest (13-column) version, without method or identity types', () => {
    expect(proxyOk(proxy({}, 13))).toMatchObject({ method: null, user: null, status: 200, bytesIn: 51200 });
    expect(proxyOk(proxy({}, 22)).user).toBeNull();
  });

  it('takes the policy identity as the user when its type is a user type', () => {
    expect(proxyOk(proxy({ 1: 'carol@corp.example', 21: 'Directory User' })).user).toBe('carol@corp.example');
  });

  it('maps the verdict, and any other verdict to null', () => {
    expect(proxyOk(proxy({ 6: 'BLOCKED', 10: '403' }))).toMatchObject({ action: 'blocked', status: 403 });
    expect(proxyOk(proxy({ 6: 'WARNED' })).action).toBeNull();
  });

  it('keeps commas and escaped quotes inside the URL and user agent', () => {
    const e = proxyOk(proxy({ 7: 'https://claude.ai/api/x?a=1,2&q="hi"', 9: 'Agent "x", v2' }));
    expect(e).toMatchObject({ url: 'https://claude.ai/api/x?a=1,2&q="hi"', host: 'claude.ai', userAgent: 'Agent "x", v2' });
  });

  it('maps empty status, sizes, destination and URL to null', () => {
    expect(proxyOk(proxy({ 4: '', 7: '', 10: '', 11: '', 12: '' }))).toMatchObject({
      destIp: null, url: null, host: null, destPort: null, status: null, bytesOut: null, bytesIn: null,
    });
  });

  it('takes host and port from authority-form and IPv6 URLs', () => {
    expect(proxyOk(proxy({ 7: 'gemini.google.com:443' }))).toMatchObject({ host: 'gemini.google.com', destPort: 443 });
    expect(proxyOk(proxy({ 7: 'http://[2001:db8::1]:8080/x', 2: '2001:db8::5' }))).toMatchObject({
      host: '2001:db8::1', destPort: 8080, srcIp: '2001:db8::5',
    });
  });

  it('handles a very long URL and a non-ASCII user agent', () => {
    const url = `https://copilot.microsoft.com/c?q=${'z'.repeat(50_000)}`;
    expect(proxyOk(proxy({ 7: url, 9: 'Agënt/1 (日本語)' }))).toMatchObject({ url, userAgent: 'Agënt/1 (日本語)' });
  });

  it('skips the optional header row', () => {
    expect(parseUmbrellaProxy('"timestamp","Policy Identity Label","Internal Client IP"', ctx)).toMatchObject({ skip: true });
  });

  it('rejects malformed records with clear reasons', () => {
    expect(proxyReason(proxy({}, 12))).toBe('too few columns for an Umbrella proxy log (need at least 13)');
    expect(proxyReason(proxy({ 0: '11/25/2026 10:00' }))).toBe('bad timestamp: expected 2026-11-25 10:00:00');
    expect(proxyReason(proxy({ 2: 'LAPTOP-42' }))).toBe('bad internal ip');
    expect(proxyReason(proxy({ 3: 'x' }))).toBe('bad external ip');
    expect(proxyReason(proxy({ 4: 'chatgpt.com' }))).toBe('bad destination ip');
    expect(proxyReason(proxy({ 10: 'OK' }))).toBe('bad status code');
    expect(proxyReason(proxy({ 11: '-1' }))).toBe('bad requested size');
    expect(proxyReason(proxy({ 12: '1.5' }))).toBe('bad response size');
    expect(proxyReason(`${proxy()}x`)).toBe('malformed quoted field: text right after the closing quote');
  });

  it('does not take a DNS log record for a web one', () => {
    expect(proxyReason(dns())).toBe('bad internal ip');
  });

  it('is stateless: the factories hand out the shared functions', () => {
    expect(createUmbrellaDnsParser()).toBe(parseUmbrellaDns);
    expect(createUmbrellaProxyParser({ timeZone: 'Europe/Berlin' })).toBe(parseUmbrellaProxy);
    expect([UMBRELLA_DNS_FORMAT, UMBRELLA_PROXY_FORMAT]).toEqual(['umbrella-dns', 'umbrella-proxy']);
  });
});

describe('umbrella — robustness', () => {
  const ALPHABET = '",0123456789-: .()ABCDEFGNOERRORAllowedBlockedhttps://a/';

  it('never throws on arbitrary strings and returns an event or a reason', () => {
    fc.assert(fc.property(randomLine(ALPHABET), (line) => {
      expectWellFormed(parseUmbrellaDns(line, ctx), 'umbrella-dns');
      expectWellFormed(parseUmbrellaProxy(line, ctx), 'umbrella-proxy');
    }), { numRuns: 2000 });
  });

  it('never throws on mutated valid lines', () => {
    let accepted = 0;
    fc.assert(fc.property(mutatedLine([dns(), dns({}, 9), proxy(), proxy({}, 13)], ALPHABET), (line) => {
      const d = parseUmbrellaDns(line, ctx);
      const p = parseUmbrellaProxy(line, ctx);
      expectWellFormed(d, 'umbrella-dns');
      expectWellFormed(p, 'umbrella-proxy');
      if (d.ok || p.ok) accepted++;
    }), { numRuns: 2000 });
    expect(accepted).toBeGreaterThan(100);
  });
});
