import type { LineParser } from '@shadow-ai/core';
import { describe, expect, it } from 'vitest';
import { ZEEK_HTTP_FORMAT, createZeekHttpParser } from './zeek-http.parser.ts';
import { assertNeverThrows, ctxAt, eventWith, okEvent, rejectReason, skipReason } from './parser-test.util.ts';

const ctx = ctxAt('2030-01-01T00:00:00.000Z');
const T = '\t';

const FIELDS = ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'trans_depth', 'method', 'host', 'uri',
  'referrer', 'version', 'user_agent', 'origin', 'request_body_len', 'response_body_len', 'status_code', 'status_msg',
  'info_code', 'info_msg', 'tags', 'username', 'password', 'proxied', 'orig_fuids', 'orig_filenames', 'orig_mime_types',
  'resp_fuids', 'resp_filenames', 'resp_mime_types'];
const HEADER = ['#separator \\x09', `#set_separator${T},`, `#empty_field${T}(empty)`, `#unset_field${T}-`,
  `#path${T}http`, `#fields${T}${FIELDS.join(T)}`];

const ROW: Record<string, string> = {
  ts: '1795600800.250000', uid: 'CwZ3Rb3ZyXn5R1gTq', 'id.orig_h': '10.1.2.4', 'id.orig_p': '50432',
  'id.resp_h': '162.159.140.245', 'id.resp_p': '80', trans_depth: '1', method: 'POST', host: 'api.openai.com',
  uri: '/v1/chat/completions', referrer: '-', version: '1.1', user_agent: 'OpenAI/Python 1.54.4', origin: '-',
  request_body_len: '1834', response_body_len: '40211', status_code: '200', status_msg: 'OK', info_code: '-',
  info_msg: '-', tags: '(empty)', username: 'alice', password: '-', proxied: '-', orig_fuids: 'FhA1',
  orig_filenames: '-', orig_mime_types: 'application/json', resp_fuids: 'Fx9', resp_filenames: '-',
  resp_mime_types: 'application/json',
};

function row(overrides: Record<string, string> = {}): string {
  return FIELDS.map((f) => overrides[f] ?? ROW[f] ?? '-').join(T);
}

function primed(): LineParser {
  const parse = createZeekHttpParser();
  for (const line of HEADER) skipReason(parse(line, ctx));
  return parse;
}

const DATA = row();
const JSON_LINE = JSON.stringify({
  ts: 1795600800.25, uid: 'CwZ3Rb3ZyXn5R1gTq', 'id.orig_h': '10.1.2.4', 'id.orig_p': 50432,
  'id.resp_h': '2606:4700::6810:84e5', 'id.resp_p': 8080, trans_depth: 1, method: 'GET', host: 'Claude.ai:8080',
  uri: '/api/organizations', version: '1.1', user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0',
  request_body_len: 0, response_body_len: 512, status_code: 403, status_msg: 'Forbidden', tags: [],
});

describe('zeek-http', () => {
  it('maps every field of a TSV record', () => {
    expect(okEvent(primed()(DATA, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:00.250Z', kind: 'proxy', format: ZEEK_HTTP_FORMAT, user: 'alice', srcIp: '10.1.2.4',
      host: 'api.openai.com', destIp: '162.159.140.245', destPort: 80, url: '/v1/chat/completions', method: 'POST',
      status: 200, bytesOut: 1834, bytesIn: 40211, userAgent: 'OpenAI/Python 1.54.4',
    }));
  });

  it('maps a JSON record: Host header port dropped, IPv6 server, no username', () => {
    expect(okEvent(createZeekHttpParser()(JSON_LINE, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:00.250Z', kind: 'proxy', format: ZEEK_HTTP_FORMAT, srcIp: '10.1.2.4', host: 'claude.ai',
      destIp: '2606:4700::6810:84e5', destPort: 8080, url: '/api/organizations', method: 'GET', status: 403,
      bytesOut: 0, bytesIn: 512, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0',
    }));
  });

  it('takes the host from an absolute uri when the Host header is unset (proxied request)', () => {
    const event = okEvent(primed()(row({ host: '-', uri: 'http://chat.deepseek.com/api/v0/chat' }), ctx));
    expect(event).toMatchObject({ host: 'chat.deepseek.com', url: 'http://chat.deepseek.com/api/v0/chat' });
  });

  it('leaves host null when the Host header is garbage and the uri is relative', () => {
    expect(okEvent(primed()(row({ host: 'not a host!' }), ctx)).host).toBeNull();
  });

  it('keeps a very long uri whole and decodes escaped non-ASCII bytes', () => {
    const long = `/v1/files?${'q=x&'.repeat(2500)}`;
    expect(okEvent(primed()(row({ uri: long }), ctx)).url).toBe(long);
    expect(okEvent(primed()(row({ uri: '/search?q=\\xc3\\xa9t\\xc3\\xa9' }), ctx)).url).toBe('/search?q=été');
  });

  it('leaves unset status, sizes, agent and method null', () => {
    const event = okEvent(primed()(row({ status_code: '-', request_body_len: '-', response_body_len: '-',
      user_agent: '-', method: '-', username: '-' }), ctx));
    expect(event).toMatchObject({ status: null, bytesOut: null, bytesIn: null, userAgent: null, method: null, user: null });
  });

  it('rejects malformed status and sizes with the column name', () => {
    const parse = primed();
    expect(rejectReason(parse(row({ status_code: '2000' }), ctx))).toMatch(/^bad status_code/);
    expect(rejectReason(parse(row({ request_body_len: '-1' }), ctx))).toMatch(/^bad request_body_len/);
    expect(rejectReason(parse(row({ response_body_len: '1.5' }), ctx))).toMatch(/^bad response_body_len/);
  });

  it('rejects a dns.log #fields layout and JSON of another log', () => {
    const parse = createZeekHttpParser();
    parse(`#fields${T}ts${T}uid${T}id.orig_h${T}query`, ctx);
    expect(rejectReason(parse(`1795600800.1${T}C1${T}10.1.2.3${T}chatgpt.com`, ctx))).toMatch(/lacks uri/);
    expect(rejectReason(parse('{"ts":1795600800,"_path":"dns","query":"x.ai"}', ctx))).toMatch(/_path dns is not http/);
  });

  it('never throws on arbitrary strings or mutated records', () => {
    assertNeverThrows(createZeekHttpParser, ZEEK_HTTP_FORMAT, [DATA, JSON_LINE], ctx, HEADER);
  });
});
