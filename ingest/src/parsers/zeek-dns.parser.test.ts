import type { LineParser } from '@shadow-ai/core';
import { describe, expect, it } from 'vitest';
import { ZEEK_DNS_FORMAT, createZeekDnsParser } from './zeek-dns.parser.ts';
import { assertNeverThrows, ctxAt, eventWith, okEvent, rejectReason, skipReason } from './parser-test.util.ts';

const ctx = ctxAt('2030-01-01T00:00:00.000Z');
const T = '\t';

// 1795600800 = 2026-11-25T10:00:00Z
const FIELDS = ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'trans_id', 'rtt', 'query',
  'qclass', 'qclass_name', 'qtype', 'qtype_name', 'rcode', 'rcode_name', 'AA', 'TC', 'RD', 'RA', 'Z', 'answers', 'TTLs',
  'rejected'];
const TYPES = ['time', 'string', 'addr', 'port', 'addr', 'port', 'enum', 'count', 'interval', 'string', 'count', 'string',
  'count', 'string', 'count', 'string', 'bool', 'bool', 'bool', 'bool', 'count', 'vector[string]', 'vector[interval]',
  'bool'];
const HEADER = [
  '#separator \\x09',
  `#set_separator${T},`,
  `#empty_field${T}(empty)`,
  `#unset_field${T}-`,
  `#path${T}dns`,
  `#open${T}2026-11-25-10-00-00`,
  `#fields${T}${FIELDS.join(T)}`,
  `#types${T}${TYPES.join(T)}`,
];

const ROW: Record<string, string> = {
  ts: '1795600800.123456', uid: 'CHhAvVGS1DHFjwGM9', 'id.orig_h': '10.1.2.3', 'id.orig_p': '53211',
  'id.resp_h': '10.0.0.53', 'id.resp_p': '53', proto: 'udp', trans_id: '41394', rtt: '0.012345', query: 'chatgpt.com',
  qclass: '1', qclass_name: 'C_INTERNET', qtype: '1', qtype_name: 'A', rcode: '0', rcode_name: 'NOERROR', AA: 'F',
  TC: 'F', RD: 'T', RA: 'T', Z: '0', answers: '104.18.32.47,104.18.33.47', TTLs: '300.000000,300.000000', rejected: 'F',
};

function row(overrides: Record<string, string> = {}, fields: readonly string[] = FIELDS): string {
  return fields.map((f) => overrides[f] ?? ROW[f] ?? '-').join(T);
}

function primed(header: readonly string[] = HEADER): LineParser {
  const parse = createZeekDnsParser();
  for (const line of header) parse(line, ctx);
  return parse;
}

const DATA = row();
const JSON_LINE = JSON.stringify({
  ts: 1795600800.123456, uid: 'CHhAvVGS1DHFjwGM9', 'id.orig_h': '2001:db8::5', 'id.orig_p': 41000,
  'id.resp_h': '2001:db8::53', 'id.resp_p': 53, proto: 'udp', trans_id: 7, query: 'Claude.AI', qclass: 1,
  qclass_name: 'C_INTERNET', qtype: 28, qtype_name: 'AAAA', rcode: 3, rcode_name: 'NXDOMAIN', AA: false, TC: false,
  RD: true, RA: true, Z: 0, rejected: false,
});

describe('zeek-dns — TSV', () => {
  it('skips every header line and maps a record by the #fields layout', () => {
    const parse = createZeekDnsParser();
    for (const line of HEADER) expect(skipReason(parse(line, ctx))).toMatch(/^zeek header/);
    expect(okEvent(parse(DATA, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:00.123Z', kind: 'dns', format: ZEEK_DNS_FORMAT, srcIp: '10.1.2.3', host: 'chatgpt.com',
      destIp: '10.0.0.53', destPort: 53, dnsType: 'A', dnsRcode: 'NOERROR',
    }));
  });

  it('rejects records before any #fields line, saying why', () => {
    expect(rejectReason(createZeekDnsParser()(DATA, ctx))).toMatch(/no #fields header yet/);
  });

  it('follows a new #fields layout mid-stream (rotated log with other columns)', () => {
    const parse = primed();
    expect(okEvent(parse(DATA, ctx)).host).toBe('chatgpt.com');
    const older = ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'trans_id', 'query',
      'qtype_name', 'rcode_name'];
    expect(skipReason(parse(`#fields${T}${older.join(T)}`, ctx))).toMatch(/#fields/);
    // The old-layout record now has the wrong width…
    expect(rejectReason(parse(DATA, ctx))).toMatch(/expected 11 columns.*got 24/);
    // …and a record of the new layout maps, qtype/rcode numbers being absent.
    const event = okEvent(parse(row({ query: 'gemini.google.com', qtype_name: 'HTTPS' }, older), ctx));
    expect(event).toMatchObject({ host: 'gemini.google.com', dnsType: 'HTTPS', dnsRcode: 'NOERROR', srcIp: '10.1.2.3' });
  });

  it('marks the layout unusable when a #fields line lacks query (another log type)', () => {
    const parse = primed();
    parse(`#fields${T}ts${T}uid${T}id.orig_h${T}id.orig_p${T}id.resp_h${T}id.resp_p${T}proto`, ctx);
    expect(rejectReason(parse(DATA, ctx))).toMatch(/#fields lacks query: not a Zeek dns.log layout/);
  });

  it('honours a non-tab #separator and custom unset/empty markers', () => {
    const fields = ['ts', 'id.orig_h', 'id.resp_h', 'id.resp_p', 'query', 'qtype_name', 'rcode_name'];
    const parse = primed(['#separator \\x7c', '#unset_field|NIL', '#empty_field|EMPTY', `#fields|${fields.join('|')}`]);
    expect(okEvent(parse('1795600800.5|10.1.2.3|10.0.0.53|53|api.openai.com|A|NIL', ctx))).toMatchObject({
      ts: '2026-11-25T10:00:00.500Z', host: 'api.openai.com', dnsType: 'A', dnsRcode: null,
    });
    expect(okEvent(parse('1795600800.5|10.1.2.3|NIL|NIL|EMPTY|NIL|NIL', ctx))).toMatchObject({
      host: null, destIp: null, destPort: null, dnsType: null,
    });
  });

  it('reads the tsv=T bare column-name header', () => {
    const parse = createZeekDnsParser();
    expect(skipReason(parse(FIELDS.join(T), ctx))).toMatch(/tsv column names/);
    expect(okEvent(parse(DATA, ctx)).host).toBe('chatgpt.com');
  });

  it('leaves unset (-) and empty ((empty)) values null', () => {
    const event = okEvent(primed()(row({ query: '-', qtype_name: '-', qtype: '-', rcode_name: '(empty)', rcode: '-',
      'id.resp_p': '-' }), ctx));
    expect(event).toMatchObject({ host: null, dnsType: null, dnsRcode: null, destPort: null });
  });

  it('falls back to the numeric qtype and rcode, and reads Zeek names of unknown types', () => {
    const parse = primed();
    expect(okEvent(parse(row({ qtype_name: '-', qtype: '65', rcode_name: '-', rcode: '3' }), ctx))).toMatchObject({
      dnsType: 'HTTPS', dnsRcode: 'NXDOMAIN',
    });
    expect(okEvent(parse(row({ qtype_name: 'query-65534' }), ctx)).dnsType).toBe('TYPE65534');
    expect(okEvent(parse(row({ qtype_name: '*', qtype: '255' }), ctx)).dnsType).toBe('ANY');
  });

  it('lowercases the query, drops its trailing dot, and leaves non-hostnames null', () => {
    const parse = primed();
    expect(okEvent(parse(row({ query: 'API.OpenAI.com.' }), ctx)).host).toBe('api.openai.com');
    expect(okEvent(parse(row({ query: 'bad name\\x20here' }), ctx)).host).toBeNull();
    expect(okEvent(parse(row({ query: '\\xe4\\xb8\\xad.example' }), ctx)).host).toBeNull();
  });

  it('decodes \\xHH escapes (the separator inside a value)', () => {
    const parse = primed();
    // A tab inside the query is written as \x09 and must not split the record.
    expect(okEvent(parse(row({ query: 'a\\x09b.example' }), ctx)).host).toBeNull();
  });

  it('accepts IPv6 endpoints', () => {
    expect(okEvent(primed()(row({ 'id.orig_h': '2001:db8::5', 'id.resp_h': 'fe80::1' }), ctx))).toMatchObject({
      srcIp: '2001:db8::5', destIp: 'fe80::1',
    });
  });

  it('rejects bad ts, addresses and ports with the column name', () => {
    const parse = primed();
    expect(rejectReason(parse(row({ ts: 'yesterday' }), ctx))).toMatch(/^bad ts/);
    expect(rejectReason(parse(row({ ts: '-' }), ctx))).toBe('ts is unset');
    expect(rejectReason(parse(row({ 'id.orig_h': '10.1.2' }), ctx))).toMatch(/^bad id.orig_h/);
    expect(rejectReason(parse(row({ 'id.resp_h': 'dns.local' }), ctx))).toMatch(/^bad id.resp_h/);
    expect(rejectReason(parse(row({ 'id.resp_p': '99999' }), ctx))).toMatch(/^bad id.resp_p/);
  });

  it('rejects truncated records, empty lines and binary junk', () => {
    const parse = primed();
    expect(rejectReason(parse(DATA.slice(0, 60), ctx))).toMatch(/expected 24 columns/);
    expect(rejectReason(parse('   ', ctx))).toBe('empty line');
    expect(rejectReason(parse('1795600800.1\u0000\u0001', ctx))).toMatch(/control characters/);
  });

  it('skips #close and unknown comment lines', () => {
    const parse = primed();
    expect(skipReason(parse(`#close${T}2026-11-25-11-00-00`, ctx))).toMatch(/#close/);
    expect(skipReason(parse('#some other comment', ctx))).toMatch(/^zeek header/);
  });
});

describe('zeek-dns — JSON', () => {
  it('maps a JSON record with epoch-float ts and IPv6 endpoints', () => {
    expect(okEvent(createZeekDnsParser()(JSON_LINE, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:00.123Z', kind: 'dns', format: ZEEK_DNS_FORMAT, srcIp: '2001:db8::5', host: 'claude.ai',
      destIp: '2001:db8::53', destPort: 53, dnsType: 'AAAA', dnsRcode: 'NXDOMAIN',
    }));
  });

  it('needs no header, and does not disturb a TSV layout in the same stream', () => {
    const parse = primed();
    expect(okEvent(parse(JSON_LINE, ctx)).host).toBe('claude.ai');
    expect(okEvent(parse(DATA, ctx)).host).toBe('chatgpt.com');
  });

  it('accepts ISO 8601 and epoch-millisecond ts', () => {
    const parse = createZeekDnsParser();
    const base = { 'id.orig_h': '10.1.2.3', query: 'chatgpt.com' };
    expect(okEvent(parse(JSON.stringify({ ...base, ts: '2026-11-25T10:00:00.123456Z' }), ctx)).ts)
      .toBe('2026-11-25T10:00:00.123Z');
    expect(okEvent(parse(JSON.stringify({ ...base, ts: 1795600800123 }), ctx)).ts).toBe('2026-11-25T10:00:00.123Z');
    expect(okEvent(parse(JSON.stringify({ ...base, ts: '1795600800.5' }), ctx)).ts).toBe('2026-11-25T10:00:00.500Z');
  });

  it('accepts _path dns and the Kafka writer wrapping, rejects other paths', () => {
    const parse = createZeekDnsParser();
    const rec = { ts: 1795600800, 'id.orig_h': '10.1.2.3', query: 'chatgpt.com' };
    expect(okEvent(parse(JSON.stringify({ _path: 'dns', ...rec }), ctx)).host).toBe('chatgpt.com');
    expect(okEvent(parse(JSON.stringify({ dns: rec }), ctx)).host).toBe('chatgpt.com');
    expect(rejectReason(parse(JSON.stringify({ _path: 'conn', ...rec }), ctx))).toMatch(/_path conn is not dns/);
  });

  it('reads nested id objects', () => {
    const line = JSON.stringify({ ts: 1795600800, id: { orig_h: '10.1.2.3', resp_h: '10.0.0.53', resp_p: 53 }, query: 'x.ai' });
    expect(okEvent(createZeekDnsParser()(line, ctx))).toMatchObject({ srcIp: '10.1.2.3', destIp: '10.0.0.53', destPort: 53 });
  });

  it('rejects JSON that is not a dns.log record, or is broken', () => {
    const parse = createZeekDnsParser();
    expect(rejectReason(parse('{"ts":1795600800,"id.orig_h":"10.1.2.3","service":"ssl"}', ctx)))
      .toMatch(/not a Zeek dns.log record/);
    expect(rejectReason(parse('{"ts":1795600800,"query":', ctx))).toBe('invalid JSON');
    expect(rejectReason(parse('{"query":"chatgpt.com"}', ctx))).toBe('missing ts');
    expect(rejectReason(parse('{"ts":-5,"query":"chatgpt.com"}', ctx))).toMatch(/^bad ts/);
    expect(rejectReason(parse('{"ts":true,"query":"chatgpt.com"}', ctx))).toBe('missing ts');
  });
});

describe('zeek-dns — robustness', () => {
  it('never throws on arbitrary strings or mutated records, with and without a header', () => {
    assertNeverThrows(createZeekDnsParser, ZEEK_DNS_FORMAT, [DATA, JSON_LINE, ...HEADER], ctx, HEADER);
    assertNeverThrows(createZeekDnsParser, ZEEK_DNS_FORMAT, [DATA, JSON_LINE], ctx);
  });
});
