import type { ParserOptions } from '@shadow-ai/core';
import { describe, expect, it } from 'vitest';
import { JSON_FORMAT, createJsonParser } from './json.parser.ts';
import { assertNeverThrows, ctxAt, eventWith, okEvent, rejectReason } from './parser-test.util.ts';

const ctx = ctxAt('2030-01-01T00:00:00.000Z');

/** An ECS-shaped mapping, as a proxy's JSON output shipped by an agent would use. */
const ECS: ParserOptions['fieldMap'] = {
  ts: '@timestamp', host: 'destination.domain', user: 'user.name', srcIp: 'source.ip', destIp: 'destination.ip',
  destPort: 'destination.port', url: 'url.full', method: 'http.request.method', status: 'http.response.status_code',
  bytesOut: 'http.request.bytes', bytesIn: 'http.response.bytes', userAgent: 'user_agent.original',
  action: 'event.action',
};
const ecs = createJsonParser({ fieldMap: ECS });

const ECS_LINE = JSON.stringify({
  '@timestamp': '2026-11-25T10:00:00.123Z', source: { ip: '10.1.2.3' },
  destination: { domain: 'ChatGPT.com', ip: '104.18.32.47', port: 443 }, user: { name: 'alice' },
  url: { full: 'https://chatgpt.com/backend-api/conversation' }, http: { request: { method: 'POST', bytes: 2048 },
    response: { status_code: 200, bytes: 51200 } }, user_agent: { original: '  Mozilla/5.0 (Macintosh)  ' },
  event: { action: 'allowed' },
});
const FLAT_LINE = '{"@timestamp":1795600800,"source.ip":"2001:db8::5","destination.domain":"claude.ai",'
  + '"http.request.bytes":"512","event.action":"TCP_DENIED","user.name":"-"}';

describe('json — mappings', () => {
  it('maps every field of an ECS-shaped nested object', () => {
    expect(okEvent(ecs(ECS_LINE, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:00.123Z', kind: 'proxy', format: JSON_FORMAT, user: 'alice', srcIp: '10.1.2.3',
      host: 'chatgpt.com', destIp: '104.18.32.47', destPort: 443, url: 'https://chatgpt.com/backend-api/conversation',
      method: 'POST', status: 200, bytesOut: 2048, bytesIn: 51200, userAgent: 'Mozilla/5.0 (Macintosh)',
      action: 'allowed',
    }));
  });

  it('finds flat dotted keys, epoch seconds, digit strings, device action words and - as null', () => {
    expect(okEvent(ecs(FLAT_LINE, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:00.000Z', kind: 'proxy', format: JSON_FORMAT, srcIp: '2001:db8::5', host: 'claude.ai',
      bytesOut: 512, action: 'blocked',
    }));
  });

  it('accepts epoch ms, numeric strings and offset-less ISO times in opts.timeZone', () => {
    const parse = createJsonParser({ fieldMap: { ts: 't', host: 'h' }, timeZone: 'Europe/Berlin' });
    expect(okEvent(parse('{"t":1795600800123,"h":"x.ai"}', ctx)).ts).toBe('2026-11-25T10:00:00.123Z');
    expect(okEvent(parse('{"t":"1795600800.5","h":"x.ai"}', ctx)).ts).toBe('2026-11-25T10:00:00.500Z');
    expect(okEvent(parse('{"t":"2026-11-25 11:00:00","h":"x.ai"}', ctx)).ts).toBe('2026-11-25T10:00:00.000Z');
    expect(okEvent(parse('{"t":"2026-11-25T11:00:00+01:00","h":"x.ai"}', ctx)).ts).toBe('2026-11-25T10:00:00.000Z');
  });

  it('takes host and port from host:port, an IP or a URL, and from the URL when host is missing', () => {
    const parse = createJsonParser({ fieldMap: { ts: 't', host: 'h', url: 'u' } });
    expect(okEvent(parse('{"t":1795600800,"h":"api.openai.com:8443"}', ctx))).toMatchObject({ host: 'api.openai.com', destPort: 8443 });
    expect(okEvent(parse('{"t":1795600800,"h":"2001:DB8::1"}', ctx)).host).toBe('2001:db8::1');
    expect(okEvent(parse('{"t":1795600800,"u":"https://Gemini.Google.com/app?x=1"}', ctx))).toMatchObject({
      host: 'gemini.google.com', destPort: 443, url: 'https://Gemini.Google.com/app?x=1',
    });
  });

  it('takes kind from the mapped field, defaulting to proxy', () => {
    const parse = createJsonParser({ fieldMap: { ts: 't', host: 'q', kind: 'k', dnsType: 'qt', dnsRcode: 'rc' } });
    expect(okEvent(parse('{"t":1795600800,"q":"chatgpt.com.","k":"DNS","qt":28,"rc":"nxdomain"}', ctx))).toMatchObject({
      kind: 'dns', host: 'chatgpt.com', dnsType: 'AAAA', dnsRcode: 'NXDOMAIN',
    });
    expect(okEvent(parse('{"t":1795600800,"q":"x.ai","qt":"https","rc":3}', ctx))).toMatchObject({
      kind: 'proxy', dnsType: 'HTTPS', dnsRcode: 'NXDOMAIN',
    });
  });

  it('indexes arrays with numeric segments and prefers the longest existing dotted key', () => {
    const parse = createJsonParser({ fieldMap: { ts: 'events.0.ts', host: 'a.b.c' } });
    expect(okEvent(parse('{"events":[{"ts":1795600800}],"a":{"b.c":"one.example"},"a.b":{"c":"two.example"}}', ctx)).host)
      .toBe('two.example');
  });

  it('keeps non-ASCII and very long strings', () => {
    const parse = createJsonParser({ fieldMap: { ts: 't', host: 'h', user: 'u', url: 'l' } });
    const long = `https://x.ai/${'a'.repeat(10000)}`;
    expect(okEvent(parse(JSON.stringify({ t: 1795600800, h: 'x.ai', u: 'Zoë 中文', l: long }), ctx))).toMatchObject({
      user: 'Zoë 中文', url: long,
    });
  });
});

describe('json — config errors throw at creation', () => {
  it('requires a fieldMap with ts and host', () => {
    expect(() => createJsonParser()).toThrow(/fieldMap is required/);
    expect(() => createJsonParser({ fieldMap: { host: 'h' } })).toThrow(/must map ts and host/);
    expect(() => createJsonParser({ fieldMap: { ts: 't' } })).toThrow(/must map ts and host/);
  });

  it('rejects unknown fields, format and malformed paths', () => {
    const bad = (fieldMap: Record<string, unknown>) => () => createJsonParser({ fieldMap } as ParserOptions);
    expect(bad({ ts: 't', host: 'h', hostname: 'x' })).toThrow(/unknown event field "hostname"/);
    expect(bad({ ts: 't', host: 'h', format: 'f' })).toThrow(/cannot map format/);
    expect(bad({ ts: 't', host: 'a..b' })).toThrow(/fieldMap.host must be a dotted path/);
    expect(bad({ ts: 42, host: 'h' })).toThrow(/fieldMap.ts must be a dotted path/);
    expect(() => createJsonParser({ fieldMap: { ts: 't', host: 'h' }, timeZone: 'Bad/Zone' })).toThrow(/unknown time zone/);
  });
});

describe('json — unhappy paths and robustness', () => {
  it('rejects non-objects and broken JSON', () => {
    expect(rejectReason(ecs('[1,2]', ctx))).toBe('not a JSON object line');
    expect(rejectReason(ecs('hello', ctx))).toBe('not a JSON object line');
    expect(rejectReason(ecs('{"@timestamp":', ctx))).toMatch(/^invalid JSON/);
    expect(rejectReason(ecs('', ctx))).toBe('empty line');
  });

  it('rejects a missing ts or host naming the path', () => {
    expect(rejectReason(ecs('{"destination":{"domain":"x.ai"}}', ctx))).toBe('missing ts at @timestamp');
    expect(rejectReason(ecs('{"@timestamp":1795600800}', ctx))).toBe('missing host at destination.domain (and no host in the URL)');
  });

  it('rejects values of the wrong type naming the field and path', () => {
    const line = (patch: Record<string, unknown>) => JSON.stringify({ '@timestamp': 1795600800, 'destination.domain': 'x.ai', ...patch });
    expect(rejectReason(ecs(line({ '@timestamp': 'noon' }), ctx))).toMatch(/^bad ts at @timestamp/);
    expect(rejectReason(ecs(line({ '@timestamp': -1 }), ctx))).toMatch(/^bad ts/);
    expect(rejectReason(ecs(line({ 'destination.domain': 'not a host' }), ctx))).toMatch(/^bad host at destination.domain/);
    expect(rejectReason(ecs(line({ 'destination.domain': ['x.ai'] }), ctx))).toMatch(/^bad host/);
    expect(rejectReason(ecs(line({ 'source.ip': '10.1.2' }), ctx))).toMatch(/^bad srcIp at source.ip: expected an IP/);
    expect(rejectReason(ecs(line({ 'destination.port': 70000 }), ctx))).toMatch(/^bad destPort/);
    expect(rejectReason(ecs(line({ 'destination.port': 44.5 }), ctx))).toMatch(/^bad destPort/);
    expect(rejectReason(ecs(line({ 'http.response.status_code': 42 }), ctx))).toMatch(/^bad status/);
    expect(rejectReason(ecs(line({ 'http.request.bytes': -10 }), ctx))).toMatch(/^bad bytesOut at http.request.bytes/);
    expect(rejectReason(ecs(line({ 'http.response.bytes': '1.5' }), ctx))).toMatch(/^bad bytesIn/);
    expect(rejectReason(ecs(line({ 'http.response.bytes': 1e300 }), ctx))).toMatch(/^bad bytesIn/);
    expect(rejectReason(ecs(line({ 'user.name': { first: 'a' } }), ctx))).toMatch(/^bad user/);
    expect(rejectReason(ecs(line({ 'event.action': true }), ctx))).toMatch(/^bad action/);
    const dns = createJsonParser({ fieldMap: { ts: 't', host: 'h', kind: 'k', dnsType: 'q' } });
    expect(rejectReason(dns('{"t":1795600800,"h":"x.ai","k":"mail"}', ctx))).toMatch(/^bad kind at k/);
    expect(rejectReason(dns('{"t":1795600800,"h":"x.ai","q":"??"}', ctx))).toMatch(/^bad dnsType/);
  });

  it('treats null, empty and - values as absent, and status 0 as none', () => {
    const line = JSON.stringify({ '@timestamp': 1795600800, destination: { domain: 'x.ai', port: null },
      user: { name: '' }, http: { response: { status_code: 0 } }, 'source.ip': null });
    expect(okEvent(ecs(line, ctx))).toMatchObject({ user: null, status: null, destPort: null, srcIp: null });
  });

  it('never throws on arbitrary strings or mutated lines', () => {
    assertNeverThrows(() => createJsonParser({ fieldMap: ECS }), JSON_FORMAT, [ECS_LINE, FLAT_LINE], ctx);
  });
});
