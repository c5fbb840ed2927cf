import { EVENT_FIELDS, type NormalizedEvent, type ParseContext, type ParseResult } from '@shadow-ai/core';
import { describe, expect, it } from 'vitest';
import { parseBind } from './bind.parser.ts';

const RECEIVED = '2026-11-25T12:34:56.789Z';
const ctx: ParseContext = { receivedAt: new Date(RECEIVED) };

const FULL = '25-Nov-2026 10:00:00.123 queries: info: client @0x7f8a1c0b2d40 10.1.2.3#53211 (chatgpt.com): '
  + 'query: chatgpt.com IN A +E(0)K (10.0.0.53)';
const BARE_V6 = 'client 2001:db8::5#41000 (claude.ai): query: claude.ai IN AAAA + (2001:db8::53)';
const VIEW = '25-Nov-2026 10:00:01.500 client @0x7f00 10.1.2.4#5353 (API.OpenAI.com.): view internal: '
  + 'query: API.OpenAI.com. IN HTTPS -E(0)DC (10.0.0.53)';
const DENIED = "client @0x7f00 10.1.2.3#5353 (evil.example): query (cache) 'evil.example/A/IN' denied";

function ok(line: string, context: ParseContext = ctx): NormalizedEvent {
  const result = parseBind(line, context);
  if (!result.ok) throw new Error(`expected the line to parse, got: ${result.reason}`);
  return result.event;
}

function reason(line: string, context: ParseContext = ctx): string {
  const result = parseBind(line, context);
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.event)}`);
  return result.reason;
}

/** A dateless query line for `name` with class and type. */
function query(name: string, rest = 'IN A +E(0)K (10.0.0.53)'): string {
  return `client @0x7f00 10.1.2.3#5353 (${name}): query: ${name} ${rest}`;
}

const DNS_NULLS = {
  user: null, url: null, method: null, status: null, bytesOut: null, bytesIn: null, userAgent: null, destPort: null,
  dnsRcode: null,
};

describe('parseBind — query lines', () => {
  it('maps a full line with date, category, severity and client object', () => {
    expect(ok(FULL)).toEqual({
      ...DNS_NULLS, ts: '2026-11-25T10:00:00.123Z', kind: 'dns', format: 'bind', srcIp: '10.1.2.3', host: 'chatgpt.com',
      destIp: '10.0.0.53', action: null, dnsType: 'A',
    } satisfies NormalizedEvent);
  });

  it('produces exactly the contract fields', () => {
    expect(Object.keys(ok(FULL)).sort()).toEqual([...EVENT_FIELDS].sort());
  });

  it('uses receivedAt when the line has no date, with IPv6 client and server', () => {
    expect(ok(BARE_V6)).toEqual({
      ...DNS_NULLS, ts: RECEIVED, kind: 'dns', format: 'bind', srcIp: '2001:db8::5', host: 'claude.ai',
      destIp: '2001:db8::53', action: null, dnsType: 'AAAA',
    } satisfies NormalizedEvent);
  });

  it('skips the view and lowercases the query name without its trailing dot', () => {
    expect(ok(VIEW)).toEqual({
      ...DNS_NULLS, ts: '2026-11-25T10:00:01.500Z', kind: 'dns', format: 'bind', srcIp: '10.1.2.4',
      host: 'api.openai.com', destIp: '10.0.0.53', action: null, dnsType: 'HTTPS',
    } satisfies NormalizedEvent);
  });

  it('accepts a view name with spaces', () => {
    expect(ok(VIEW.replace('view internal:', 'view corp internal:')).host).toBe('api.openai.com');
  });

  it('reads the date as UTC (BIND prints local time without a zone)', () => {
    expect(ok(`25-Nov-2026 23:59:59.999 ${query('a.example')}`).ts).toBe('2026-11-25T23:59:59.999Z');
    expect(ok(`29-Feb-2028 00:00:00.000 ${query('a.example')}`).ts).toBe('2028-02-29T00:00:00.000Z');
  });

  it('accepts a date without milliseconds', () => {
    expect(ok(`25-Nov-2026 10:00:00 ${query('a.example')}`).ts).toBe('2026-11-25T10:00:00.000Z');
  });

  it('accepts print-time iso8601 and iso8601-utc dates', () => {
    expect(ok(`2026-11-25T10:00:00.123Z ${query('a.example')}`).ts).toBe('2026-11-25T10:00:00.123Z');
    expect(ok(`2026-11-25T10:00:00.123 queries: info: ${query('a.example')}`).ts).toBe('2026-11-25T10:00:00.123Z');
  });

  it('accepts category and severity prefixes alone, together or absent', () => {
    for (const prefix of ['', 'queries: ', 'info: ', 'queries: info: ', 'queries: debug 3: ']) {
      expect(ok(`25-Nov-2026 10:00:00.123 ${prefix}${query('a.example')}`).host, prefix).toBe('a.example');
      expect(ok(`${prefix}${query('a.example')}`).host, prefix).toBe('a.example');
    }
  });

  it('accepts lines without the @0x client object', () => {
    expect(ok('client 10.1.2.3#53211 (chatgpt.com): query: chatgpt.com IN A + (10.0.0.53)'))
      .toMatchObject({ srcIp: '10.1.2.3', host: 'chatgpt.com' });
  });

  it('accepts the pre-9.10 layout without (name) and without the server address', () => {
    expect(ok('client 10.1.2.3#53211: query: chatgpt.com IN A +'))
      .toMatchObject({ srcIp: '10.1.2.3', host: 'chatgpt.com', destIp: null, dnsType: 'A' });
    expect(ok('client 10.1.2.3#53211: view internal: query: chatgpt.com IN A +').host).toBe('chatgpt.com');
  });

  it('accepts TSIG-signed clients', () => {
    expect(ok('client @0x7f00 10.1.2.3#53211/key tsig-key (chatgpt.com): query: chatgpt.com IN A -S (10.0.0.53)'))
      .toMatchObject({ srcIp: '10.1.2.3', host: 'chatgpt.com' });
    expect(ok('client 10.1.2.3#53211/key tsig-key: query: chatgpt.com IN A -S').srcIp).toBe('10.1.2.3');
  });

  it('keeps the record type as logged (mnemonic or TYPEnn)', () => {
    for (const type of ['A', 'AAAA', 'HTTPS', 'SVCB', 'TXT', 'NSAP-PTR', 'TYPE65', 'ANY']) {
      expect(ok(query('a.example', `IN ${type} +`)).dnsType).toBe(type);
    }
  });

  it('accepts other classes', () => {
    expect(ok(query('version.bind', 'CH TXT -')).dnsType).toBe('TXT');
    expect(ok(query('a.example', 'CLASS254 A -')).host).toBe('a.example');
  });

  it('leaves destIp null when the trailing parentheses are not an address', () => {
    expect(ok(query('a.example', 'IN A + (not-an-ip)')).destIp).toBeNull();
  });

  it('ignores data after the server address (ECS)', () => {
    expect(ok(query('a.example', 'IN A +E(0) (10.0.0.53) [ECS 192.0.2.0/24/0]')).destIp).toBe('10.0.0.53');
  });

  it('leaves action and dnsRcode null on ordinary queries', () => {
    expect(ok(FULL)).toMatchObject({ action: null, dnsRcode: null });
  });

  it('maps the root query name to a null host', () => {
    expect(ok('client 10.1.2.3#53211 (.): query: . IN NS -E(0) (10.0.0.53)')).toMatchObject({ host: null, dnsType: 'NS' });
  });

  it('maps query names that are not hostnames to a null host but keeps the event', () => {
    for (const name of ['bad\\032name.example', 'a..example', `${'a'.repeat(64)}.example`, 'we\\(ird.example',
      `${'abcdefgh.'.repeat(30)}com`]) {
      expect(ok(query(name)).host, name).toBeNull();
    }
  });

  it('keeps underscores and digits in names', () => {
    expect(ok(query('_dmarc.Example.COM', 'IN TXT +')).host).toBe('_dmarc.example.com');
    expect(ok(query('xn--bcher-kva.example')).host).toBe('xn--bcher-kva.example');
  });

  it('handles a very long line', () => {
    const name = `${'a'.repeat(63)}.${'b'.repeat(63)}.example`;
    expect(ok(`${query(name, 'IN A + (10.0.0.53)')} ${'x'.repeat(100 * 1024)}`).host).toBe(name);
  });
});

describe('parseBind — refusals', () => {
  it("maps query (cache) 'name/TYPE/CLASS' denied to action blocked", () => {
    expect(ok(DENIED)).toEqual({
      ...DNS_NULLS, ts: RECEIVED, kind: 'dns', format: 'bind', srcIp: '10.1.2.3', host: 'evil.example', destIp: null,
      action: 'blocked', dnsType: 'A',
    } satisfies NormalizedEvent);
  });

  it('accepts the security category prefix, a date and the reason BIND 9.18 appends', () => {
    const line = "25-Nov-2026 10:00:02.000 security: info: client @0x7f00 10.1.2.3#5353 (Evil.Example.): "
      + "query (cache) 'Evil.Example./AAAA/IN' denied (allow-query-cache did not match)";
    expect(ok(line)).toMatchObject({ ts: '2026-11-25T10:00:02.000Z', host: 'evil.example', dnsType: 'AAAA', action: 'blocked' });
  });

  it('accepts a denial without (cache) and takes the name from the triple when there is no (name)', () => {
    expect(ok("client 10.1.2.3#5353: query 'evil.example/TXT/IN' denied"))
      .toMatchObject({ host: 'evil.example', dnsType: 'TXT', action: 'blocked' });
  });

  it('accepts a view on a denial', () => {
    expect(ok("client @0x7f00 10.1.2.3#5353 (evil.example): view external: query (cache) 'evil.example/A/IN' denied"))
      .toMatchObject({ host: 'evil.example', action: 'blocked' });
  });

  it('rejects approved security lines (the query log already has the query)', () => {
    expect(reason("client @0x7f00 10.1.2.3#5353 (a.example): query (cache) 'a.example/A/IN' approved"))
      .toBe('not a query log line: security line other than denied');
  });

  it('rejects a malformed triple', () => {
    expect(reason("client 10.1.2.3#5353 (a.example): query (cache) 'a.example/A' denied"))
      .toBe("bad query: expected 'NAME/TYPE/CLASS'");
    expect(reason("client 10.1.2.3#5353 (a.example): query (cache) 'a.example/a/IN' denied")).toBe('bad query type');
    expect(reason("client 10.1.2.3#5353 (a.example): query (cache) 'a.example/A/XX' denied")).toBe('bad query class');
  });
});

describe('parseBind — rejections', () => {
  it('rejects an empty or blank line', () => {
    expect(reason('')).toBe('empty line');
    expect(reason('  \r\n')).toBe('empty line');
  });

  it('rejects binary junk', () => {
    expect(reason('\u0000\u0001\u00ff garbage')).toBe('binary or control characters in line');
    expect(reason(`${FULL}\u0007`)).toBe('binary or control characters in line');
  });

  it('rejects lines of other categories and logs', () => {
    expect(reason('25-Nov-2026 10:00:00.123 general: info: zone example.com/IN: loaded serial 2026112501'))
      .toBe('not a query log line: no "client" part');
    expect(reason('hello world')).toBe('not a query log line: no "client" part');
    expect(reason('1795600800.123    245 10.1.2.3 TCP_TUNNEL/200 5120 CONNECT chatgpt.com:443 alice HIER_DIRECT/1.2.3.4 -'))
      .toMatch(/^bad timestamp/);
  });

  it('rejects client lines that are not queries', () => {
    for (const body of [
      'query failed (SERVFAIL) for a.example/IN/A at query.c:7152',
      "update 'example.com/IN' denied",
      "zone transfer 'example.com/AXFR/IN' denied",
      'rate limit drop response to 10.1.2.0/24 for a.example IN A (00000000)',
    ]) {
      expect(reason(`client @0x7f00 10.1.2.3#5353 (a.example): ${body}`), body).toMatch(/^not a query log line/);
    }
  });

  it('rejects syslog-prefixed lines as an unsupported layout', () => {
    expect(reason(`Nov 25 10:00:00 ns1 named[812]: ${query('a.example')}`)).toBe('unsupported layout: unexpected text before "client"');
  });

  it('rejects bad dates', () => {
    for (const date of ['25-Foo-2026 10:00:00.123', '31-Feb-2026 10:00:00.123', '25-Nov-2026 24:00:00.123',
      '25-Nov-2026 10:61:00.123', '25-Nov-2026 10:00:00.12x', '25-Nov-26 10:00:00.123', '2026-13-25T10:00:00.123Z',
      '2026-11-25T10:00:00.123+01:00', '25-Nov-1969 10:00:00.000', '99 problems']) {
      expect(reason(`${date} ${query('a.example')}`), date).toMatch(/^bad timestamp/);
    }
  });

  it('rejects bad client addresses', () => {
    expect(reason('client 10.1.2.300#53 (a.example): query: a.example IN A +')).toBe('bad client address: expected IP#PORT');
    expect(reason('client 10.1.2.3 (a.example): query: a.example IN A +')).toBe('bad client address: expected IP#PORT');
    expect(reason('client 10.1.2.3#x (a.example): query: a.example IN A +')).toBe('bad client address: expected IP#PORT');
    expect(reason('client host.corp#53 (a.example): query: a.example IN A +')).toBe('bad client address: expected IP#PORT');
    expect(reason('client #53 (a.example): query: a.example IN A +')).toBe('bad client address: expected IP#PORT');
  });

  it('rejects truncated lines', () => {
    expect(reason('client')).toBe('not a query log line: no "client" part');
    expect(reason('client @0x7f00')).toBe('truncated line: nothing after the client object');
    expect(reason('client @0x7f00 10.1.2.3#5353')).toBe('truncated line: nothing after the client address');
    expect(reason('client @0x7f00 10.1.2.3#5353 (a.example):')).toBe('truncated line: nothing after the query name');
    expect(reason('client @0x7f00 10.1.2.3#5353 (a.example): view internal')).toBe('truncated line: nothing after the view name');
    expect(reason('client @0x7f00 10.1.2.3#5353 (a.example): query: a.example IN')).toBe('truncated query: expected NAME CLASS TYPE');
    expect(reason('client @0x7f00 10.1.2.3#5353 (a.example): query: a.example')).toBe('truncated query: expected NAME CLASS TYPE');
    expect(reason(FULL.slice(0, FULL.indexOf('(chatgpt.com)') + 5))).toBe('truncated line: nothing after the query name');
  });

  it('rejects a missing (name): part', () => {
    expect(reason('client 10.1.2.3#5353 query: a.example IN A +')).toBe('unsupported layout: expected (NAME): after the client address');
  });

  it('rejects bad class or type', () => {
    expect(reason(query('a.example', 'XX A +'))).toBe('bad query class');
    expect(reason(query('a.example', 'IN aaaa +'))).toBe('bad query type');
  });

  it('rejects a dateless line when receivedAt is not a valid date', () => {
    expect(reason(BARE_V6, { receivedAt: new Date(Number.NaN) })).toBe('no timestamp in the line and receivedAt is not a valid date');
    expect(ok(FULL, { receivedAt: new Date(Number.NaN) }).ts).toBe('2026-11-25T10:00:00.123Z');
  });
});

describe('parseBind — robustness', () => {
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
  const ALPHABET = " \t0123456789.:-#@()'/client query: view IN A AAAA Nov abcxyz\\\u0000\u00ff\ufffd";

  function check(result: ParseResult): void {
    if (result.ok) {
      expect(Object.keys(result.event).sort()).toEqual([...EVENT_FIELDS].sort());
      expect(result.event.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    } else {
      expect(result.reason.length).toBeGreaterThan(0);
    }
  }

  it('never throws on 2000 random strings and always returns an event or a reason', () => {
    const rand = prng(0xb1d);
    for (let n = 0; n < 2000; n++) {
      const len = Math.floor(rand() * 200);
      let s = '';
      for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
      check(parseBind(s, ctx));
    }
  });

  it('never throws on 2000 mutations of valid lines', () => {
    const rand = prng(7);
    const seeds = [FULL, BARE_V6, VIEW, DENIED];
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
      const result = parseBind(chars.join(''), ctx);
      check(result);
      if (result.ok) accepted++;
    }
    expect(accepted).toBeGreaterThan(100);
    expect(accepted).toBeLessThan(1900);
  });
});

describe('createBindParser with a time zone', () => {
  it('converts the server-local timestamp to UTC and leaves iso8601-utc and dateless lines alone', async () => {
    const { createBindParser } = await import('./bind.parser.ts');
    const parse = createBindParser({ timeZone: 'Europe/Berlin' });
    const ctx = { receivedAt: new Date('2026-11-25T12:00:00.000Z') };
    const local = parse('25-Nov-2026 10:00:00.000 client 10.1.2.3#5353 (a.example): query: a.example IN A + (10.0.0.53)', ctx);
    expect(local.ok && local.event.ts).toBe('2026-11-25T09:00:00.000Z');
    const summer = parse('01-Jul-2026 10:00:00.000 client 10.1.2.3#5353 (a.example): query: a.example IN A + (10.0.0.53)', ctx);
    expect(summer.ok && summer.event.ts).toBe('2026-07-01T08:00:00.000Z');
    const utc = parse('2026-11-25T10:00:00.000Z client 10.1.2.3#5353 (a.example): query: a.example IN A + (10.0.0.53)', ctx);
    expect(utc.ok && utc.event.ts).toBe('2026-11-25T10:00:00.000Z');
    const dateless = parse('client 10.1.2.3#5353 (a.example): query: a.example IN A + (10.0.0.53)', ctx);
    expect(dateless.ok && dateless.event.ts).toBe('2026-11-25T12:00:00.000Z');
    expect(createBindParser({ timeZone: 'UTC' })).toBe(createBindParser());
  });
});
