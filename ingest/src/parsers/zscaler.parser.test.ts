import type { NormalizedEvent } from '@shadow-ai/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ctx, eventOf, expectWellFormed, mutatedLine, randomLine, reasonOf } from './vendor.test-util.ts';
import { createZscalerParser, ZSCALER_FORMAT } from './zscaler.parser.ts';

const parse = createZscalerParser();
const ok = (line: string, p = parse): NormalizedEvent => eventOf(p(line, ctx));
const reason = (line: string, p = parse): string => reasonOf(p(line, ctx));

/** The default NSS web feed columns, one realistic record (2026-11-25 is a Wednesday). */
const DEFAULT_COLUMNS = [
  'Wed Nov 25 10:00:00 2026', 'alice@corp.example', 'HTTPS', 'chatgpt.com/backend-api/conversation', 'Allowed',
  'ChatGPT', 'General Browsing', '1834', '51200', '12', '3', 'Business Use', 'Information Technology', 'Generative AI',
  'None', 'None', '0', 'None', 'None', 'HQ', 'Engineering', '10.1.2.3', '104.18.32.47', 'POST', '200',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64)', 'None', 'None', 'None', 'application/json', 'None', 'NA', 'NA', 'N/A',
];

/** A default-feed line with columns replaced (0-based), quoted the way NSS quotes them. */
function csv(overrides: Record<number, string> = {}, sep = ','): string {
  const cols = [...DEFAULT_COLUMNS];
  for (const [i, v] of Object.entries(overrides)) cols[Number(i)] = v;
  return cols.map((c) => `"${c.replace(/"/g, '""')}"`).join(sep);
}

/** A JSON feed line using the NSS field variable names. */
function nssJson(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    time: 'Wed Nov 25 10:00:00 2026', login: 'alice@corp.example', cip: '10.1.2.3', sip: '104.18.32.47',
    url: 'chatgpt.com/backend-api/conversation', hostname: 'chatgpt.com', reqmethod: 'POST', respcode: '200',
    reqsize: '1834', respsize: '51200', ua: 'Mozilla/5.0', action: 'Allowed', urlcat: 'Generative AI', ...overrides,
  });
}

/** A JSON feed line in the shape of the stock SIEM template (`sourcetype` + `event`, descriptive key names). */
function templateJson(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    sourcetype: 'zscalernss-web',
    event: {
      datetime: '2026-11-25 10:00:00', reason: 'Allowed', event_id: '7284927331', protocol: 'HTTPS', action: 'Blocked',
      transactionsize: '13900', responsesize: '12000', requestsize: '1900', urlcategory: 'Generative AI',
      serverip: '160.79.104.10', requestmethod: 'POST', refererURL: 'None', useragent: 'curl/8.5.0', product: 'NSS',
      location: 'Branch 7', ClientIP: '10.7.0.12', status: '403', user: 'bob@corp.example',
      url: 'claude.ai/api/organizations/x/chat_conversations', vendor: 'Zscaler', hostname: 'claude.ai',
      ...overrides,
    },
  });
}

const WED_10_UTC = '2026-11-25T10:00:00.000Z';

describe('zscaler — default delimited feed', () => {
  it('maps every field of a default-feed line', () => {
    expect(ok(csv())).toEqual({
      ts: WED_10_UTC, kind: 'proxy', format: 'zscaler', user: 'alice@corp.example', srcIp: '10.1.2.3',
      host: 'chatgpt.com', destIp: '104.18.32.47', destPort: null, url: 'chatgpt.com/backend-api/conversation',
      method: 'POST', status: 200, bytesOut: 1834, bytesIn: 51200, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
      action: 'allowed', dnsType: null, dnsRcode: null,
    } satisfies NormalizedEvent);
  });

  it('parses the sample record of the NSS documentation layout (Blocked, no login user, 403)', () => {
    const line = '"Mon Jun 20 15:29:11 2022","new-gre","HTTP","ebay.com/","Blocked","Ebay","Consumer Apps","72","14061",'
      + '"0","0","Productivity Loss","Shopping and Auctions","Online Shopping","None","None","0","None","None","new-gre",'
      + '"Default Department","172.17.3.49","66.211.175.229","GET","403","curl/7.68.0","None","FwFilter","Firewall_1",'
      + '"Other","None","NA","NA","N/A"';
    expect(ok(line)).toMatchObject({
      ts: '2022-06-20T15:29:11.000Z', user: 'new-gre', host: 'ebay.com', url: 'ebay.com/', action: 'blocked', status: 403,
      bytesOut: 72, bytesIn: 14061, srcIp: '172.17.3.49', destIp: '66.211.175.229', method: 'GET', userAgent: 'curl/7.68.0',
    });
  });

  it('reads only the first 26 columns, so shorter and longer feeds both parse', () => {
    expect(ok(csv().split(',').slice(0, 26).join(',')).userAgent).toBe('Mozilla/5.0 (Windows NT 10.0; Win64; x64)');
    expect(ok(`${csv()},"extra","columns"`).status).toBe(200);
  });

  it('accepts a tab-separated copy of the layout, quoted or not', () => {
    expect(ok(csv({}, '\t'))).toEqual(ok(csv()));
    expect(ok(DEFAULT_COLUMNS.join('\t'))).toEqual(ok(csv()));
  });

  it('accepts a syslog header in front of the record', () => {
    expect(ok(`<13>Nov 25 10:00:05 nss01 zscaler-nss: ${csv()}`)).toEqual(ok(csv()));
  });

  it('keeps commas, escaped quotes and non-ASCII text inside quoted columns', () => {
    const e = ok(csv({ 1: 'josé.müller@corp.example', 25: 'Agent "quoted", with, commas', 3: 'chatgpt.com/c/a,b?q=%22x%22' }));
    expect(e).toMatchObject({
      user: 'josé.müller@corp.example', userAgent: 'Agent "quoted", with, commas', url: 'chatgpt.com/c/a,b?q=%22x%22',
      host: 'chatgpt.com',
    });
  });

  it('maps the None/NA/N/A and empty placeholders to null', () => {
    const e = ok(csv({ 1: 'None', 7: 'NA', 8: '', 22: 'N/A', 23: 'None', 24: 'NA', 25: 'None' }));
    expect(e).toMatchObject({ user: null, bytesOut: null, bytesIn: null, destIp: null, method: null, status: null, userAgent: null });
  });

  it('maps respcode 0 and server ip 0.0.0.0 (no server reached) to null', () => {
    expect(ok(csv({ 24: '0', 22: '0.0.0.0' }))).toMatchObject({ status: null, destIp: null });
  });

  it('maps only Allowed and Blocked to an action', () => {
    expect(ok(csv({ 4: 'Blocked' })).action).toBe('blocked');
    expect(ok(csv({ 4: 'Caution' })).action).toBeNull();
  });

  it('accepts IPv6 client and server addresses', () => {
    expect(ok(csv({ 21: '2001:db8::5', 22: '2606:4700::6812:2030' }))).toMatchObject({
      srcIp: '2001:db8::5', destIp: '2606:4700::6812:2030',
    });
  });

  it('takes host and port from a URL that has a scheme or a port, and lowercases the host', () => {
    expect(ok(csv({ 3: 'https://API.OpenAI.com:8443/v1/chat' }))).toMatchObject({ host: 'api.openai.com', destPort: 8443 });
    expect(ok(csv({ 3: 'http://[2001:db8::1]/x' }))).toMatchObject({ host: '2001:db8::1', destPort: 80 });
  });

  it('keeps a non-ASCII (IDN) host out of host but keeps the URL', () => {
    expect(ok(csv({ 3: 'bücher.example/ki' }))).toMatchObject({ url: 'bücher.example/ki', host: null });
  });

  it('handles a 100 KB URL', () => {
    const url = `gemini.google.com/app?q=${'x'.repeat(100 * 1024)}`;
    expect(ok(csv({ 3: url }))).toMatchObject({ url, host: 'gemini.google.com' });
  });

  it('reads an unpadded or space-padded day of the month', () => {
    expect(ok(csv({ 0: 'Thu Nov 5 08:01:02 2026' })).ts).toBe('2026-11-05T08:01:02.000Z');
    expect(ok(csv({ 0: 'Thu Nov  5 08:01:02 2026' })).ts).toBe('2026-11-05T08:01:02.000Z');
  });

  it('reads %s{time} in the configured time zone', () => {
    const berlin = createZscalerParser({ timeZone: 'Europe/Berlin' });
    expect(ok(csv(), berlin).ts).toBe('2026-11-25T09:00:00.000Z');
    expect(ok(csv({ 0: 'Wed Jul 01 10:00:00 2026' }), berlin).ts).toBe('2026-07-01T08:00:00.000Z');
  });
});

describe('zscaler — JSON feed', () => {
  it('maps every field of a line with the NSS field names', () => {
    expect(ok(nssJson())).toEqual({
      ts: WED_10_UTC, kind: 'proxy', format: 'zscaler', user: 'alice@corp.example', srcIp: '10.1.2.3',
      host: 'chatgpt.com', destIp: '104.18.32.47', destPort: null, url: 'chatgpt.com/backend-api/conversation',
      method: 'POST', status: 200, bytesOut: 1834, bytesIn: 51200, userAgent: 'Mozilla/5.0', action: 'allowed',
      dnsType: null, dnsRcode: null,
    } satisfies NormalizedEvent);
  });

  it('maps every field of the wrapped SIEM-template shape', () => {
    expect(ok(templateJson())).toEqual({
      ts: WED_10_UTC, kind: 'proxy', format: 'zscaler', user: 'bob@corp.example', srcIp: '10.7.0.12', host: 'claude.ai',
      destIp: '160.79.104.10', destPort: null, url: 'claude.ai/api/organizations/x/chat_conversations', method: 'POST',
      status: 403, bytesOut: 1900, bytesIn: 12000, userAgent: 'curl/8.5.0', action: 'blocked', dnsType: null,
      dnsRcode: null,
    } satisfies NormalizedEvent);
  });

  it('prefers epochtime, which is exact, over the zone-less text time', () => {
    const berlin = createZscalerParser({ timeZone: 'Europe/Berlin' });
    expect(ok(nssJson({ epochtime: '1795600800', time: 'Wed Nov 25 23:59:59 2026' }), berlin).ts).toBe(WED_10_UTC);
    expect(ok(nssJson({ epochtime: 1795600800 })).ts).toBe(WED_10_UTC);
  });

  it('reads ISO 8601 times with an offset exactly and zone-less ones in the configured zone', () => {
    const tokyo = createZscalerParser({ timeZone: 'Asia/Tokyo' });
    expect(ok(nssJson({ time: '2026-11-25T11:00:00.250+01:00' }), tokyo).ts).toBe('2026-11-25T10:00:00.250Z');
    expect(ok(nssJson({ time: '2026-11-25 19:00:00' }), tokyo).ts).toBe(WED_10_UTC);
    expect(ok(nssJson({ time: 'Nov 25 2026 10:00:00' })).ts).toBe(WED_10_UTC);
    expect(ok(nssJson({ time: 'Wed Nov 25 10:00:00 2026 GMT' }), tokyo).ts).toBe(WED_10_UTC);
  });

  it('takes numbers as well as strings and skips placeholder values', () => {
    expect(ok(nssJson({ reqsize: 1834, respcode: 200, login: 'None', ua: '' }))).toMatchObject({
      bytesOut: 1834, status: 200, user: null, userAgent: null,
    });
  });

  it('uses hostname for the host when the URL is absent, and the URL host otherwise', () => {
    expect(ok(nssJson({ url: 'None', hostname: 'Copilot.Microsoft.com' }))).toMatchObject({ url: null, host: 'copilot.microsoft.com' });
    expect(ok(nssJson({ hostname: undefined })).host).toBe('chatgpt.com');
  });

  it('accepts a syslog header in front of the JSON', () => {
    expect(ok(`<13>1 2026-11-25T10:00:05Z nss01 zscaler - - - ${nssJson()}`)).toEqual(ok(nssJson()));
  });

  it('keeps escaped quotes and non-ASCII values', () => {
    expect(ok(nssJson({ ua: 'Agent "x" Ünïcode', login: '山田@corp.example' }))).toMatchObject({
      userAgent: 'Agent "x" Ünïcode', user: '山田@corp.example',
    });
  });
});

describe('zscaler — rejections', () => {
  it('rejects empty lines, control characters and unknown layouts', () => {
    expect(reason('')).toBe('empty line');
    expect(reason('  \r\n')).toBe('empty line');
    expect(reason(`${csv()}\u0000`)).toBe('binary or control characters in line');
    expect(reason(`${nssJson()}\n${nssJson()}`)).toBe('binary or control characters in line');
    expect(reason('{"time":"Wed Nov 25 10:00:00 2026","url":"a\u0001"}')).toBe('binary or control characters in line');
    expect(reason('hello world')).toBe('unsupported layout: neither a JSON feed nor the default delimited feed');
  });

  it('rejects malformed JSON, non-object JSON and JSON that is not a web log', () => {
    expect(reason('{"time":')).toBe('malformed JSON');
    expect(reason('[1,2]')).toBe('unsupported layout: neither a JSON feed nor the default delimited feed');
    expect(reason('{"event":[1]}')).toBe('no timestamp: expected epochtime, datetime or time');
    expect(reason(nssJson({ url: undefined, hostname: undefined }))).toBe('not a web log: no url or hostname field');
  });

  it('rejects missing or malformed timestamps', () => {
    expect(reason(nssJson({ time: undefined }))).toBe('no timestamp: expected epochtime, datetime or time');
    expect(reason(nssJson({ epochtime: '17956008x' }))).toBe('bad timestamp: epochtime is not epoch seconds');
    for (const time of ['Wed Foo 25 10:00:00 2026', 'Wed Nov 31 10:00:00 2026', 'Wed Nov 25 25:00:00 2026', 'yesterday',
      'Wed Nov 25 10:00 2026', 'Nov 2026 10:00:00', '2026-11-25']) {
      expect(reason(nssJson({ time })), time).toMatch(/^bad timestamp/);
      expect(reason(csv({ 0: time })), time).toMatch(/^bad timestamp/);
    }
  });

  it('rejects malformed client addresses, statuses and sizes', () => {
    expect(reason(csv({ 21: 'laptop-42' }))).toBe('bad client address (cip)');
    expect(reason(csv({ 24: '2OO' }))).toBe('bad status (respcode)');
    expect(reason(csv({ 7: '-5' }))).toBe('bad request size (reqsize)');
    expect(reason(nssJson({ respsize: 1.5 }))).toBe('bad response size (respsize)');
  });

  it('rejects truncated and badly quoted delimited lines', () => {
    expect(reason(csv().split(',').slice(0, 25).join(','))).toBe('too few columns for the default NSS web feed (need 26)');
    expect(reason('"Wed Nov 25 10:00:00 2026","alice')).toBe('truncated line: unterminated quoted field');
    expect(reason('"Wed Nov 25 10:00:00 2026"x,"alice"')).toBe('malformed quoted field: text right after the closing quote');
  });

  it('refuses an unknown time zone when the parser is made', () => {
    expect(() => createZscalerParser({ timeZone: 'Mars/Olympus' })).toThrow(RangeError);
  });

  it('hands out one shared function for UTC feeds', () => {
    expect(createZscalerParser()).toBe(createZscalerParser({ timeZone: 'UTC' }));
    expect(ZSCALER_FORMAT).toBe('zscaler');
  });
});

describe('zscaler — robustness', () => {
  const ALPHABET = '",{}:[] \t0123456789.-/NoneAllowedBlocked';

  it('never throws on arbitrary strings and returns an event or a reason', () => {
    fc.assert(fc.property(randomLine(ALPHABET), (line) => expectWellFormed(parse(line, ctx), 'zscaler')), { numRuns: 2000 });
  });

  it('never throws on mutated valid lines', () => {
    let accepted = 0;
    fc.assert(fc.property(mutatedLine([csv(), nssJson(), templateJson()], ALPHABET), (line) => {
      const result = parse(line, ctx);
      expectWellFormed(result, 'zscaler');
      if (result.ok) accepted++;
    }), { numRuns: 2000 });
    expect(accepted).toBeGreaterThan(100);
  });
});
