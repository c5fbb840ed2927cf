import type { LineParser } from '@shadow-ai/core';
import { describe, expect, it } from 'vitest';
import { ZEEK_SSL_FORMAT, createZeekSslParser } from './zeek-ssl.parser.ts';
import { assertNeverThrows, ctxAt, eventWith, okEvent, rejectReason, skipReason } from './parser-test.util.ts';

const ctx = ctxAt('2030-01-01T00:00:00.000Z');
const T = '\t';

const FIELDS = ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'version', 'cipher', 'curve',
  'server_name', 'resumed', 'last_alert', 'next_protocol', 'established', 'ssl_history', 'cert_chain_fps',
  'client_cert_chain_fps', 'sni_matches_cert'];
const HEADER = ['#separator \\x09', `#set_separator${T},`, `#empty_field${T}(empty)`, `#unset_field${T}-`,
  `#path${T}ssl`, `#fields${T}${FIELDS.join(T)}`];
const ROW: Record<string, string> = {
  ts: '1795600801.000001', uid: 'C8bL2k1b0aYf3', 'id.orig_h': '10.1.2.3', 'id.orig_p': '51544',
  'id.resp_h': '104.18.32.47', 'id.resp_p': '443', version: 'TLSv13', cipher: 'TLS_AES_128_GCM_SHA256',
  curve: 'x25519', server_name: 'chatgpt.com', resumed: 'F', last_alert: '-', next_protocol: 'h2', established: 'T',
  ssl_history: 'CsiI', cert_chain_fps: '(empty)', client_cert_chain_fps: '(empty)', sni_matches_cert: '-',
};

function row(overrides: Record<string, string> = {}): string {
  return FIELDS.map((f) => overrides[f] ?? ROW[f] ?? '-').join(T);
}

function primed(): LineParser {
  const parse = createZeekSslParser();
  for (const line of HEADER) skipReason(parse(line, ctx));
  return parse;
}

const DATA = row();
const JSON_LINE = '{"ts":"2026-11-25T10:00:01.5Z","uid":"C1","id.orig_h":"2001:db8::7","id.orig_p":50000,'
  + '"id.resp_h":"2606:4700::6812:2047","id.resp_p":443,"version":"TLSv13","server_name":"Gemini.Google.com",'
  + '"established":true,"resumed":false}';

describe('zeek-ssl', () => {
  it('maps the SNI and endpoints of a TSV record', () => {
    expect(okEvent(primed()(DATA, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:01.000Z', kind: 'tls', format: ZEEK_SSL_FORMAT, srcIp: '10.1.2.3', host: 'chatgpt.com',
      destIp: '104.18.32.47', destPort: 443,
    }));
  });

  it('maps a JSON record with an ISO ts, lowercasing the SNI', () => {
    expect(okEvent(createZeekSslParser()(JSON_LINE, ctx))).toEqual(eventWith({
      ts: '2026-11-25T10:00:01.500Z', kind: 'tls', format: ZEEK_SSL_FORMAT, srcIp: '2001:db8::7',
      host: 'gemini.google.com', destIp: '2606:4700::6812:2047', destPort: 443,
    }));
  });

  it('keeps host null for a handshake without SNI', () => {
    expect(okEvent(primed()(row({ server_name: '-' }), ctx)).host).toBeNull();
    expect(okEvent(createZeekSslParser()('{"ts":1795600800,"id.orig_h":"10.1.2.3","version":"TLSv12"}', ctx)).host)
      .toBeNull();
  });

  it('rejects a conn.log layout and bad addresses', () => {
    const parse = primed();
    expect(rejectReason(parse(row({ 'id.resp_h': '104.18.32' }), ctx))).toMatch(/^bad id.resp_h/);
    parse(`#fields${T}ts${T}uid${T}id.orig_h${T}id.orig_p${T}id.resp_h${T}id.resp_p${T}proto${T}service`, ctx);
    expect(rejectReason(parse(DATA, ctx))).toMatch(/lacks server_name/);
  });

  it('never throws on arbitrary strings or mutated records', () => {
    assertNeverThrows(createZeekSslParser, ZEEK_SSL_FORMAT, [DATA, JSON_LINE], ctx, HEADER);
  });
});
