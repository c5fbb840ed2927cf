/**
 * Zeek `http.log` (TSV with `#fields` headers, or JSON lines) → `proxy` events.
 * `host` (the Host header; a port in it is dropped) → host, else the host of an absolute `uri` (proxied
 * requests); `uri` → url as logged (usually origin form, `/v1/chat/completions`); `method`; `status_code` →
 * status; `request_body_len` → bytesOut; `response_body_len` → bytesIn (bodies only: Zeek does not count
 * headers); `user_agent`; `username` (HTTP basic auth) → user; `id.orig_h` → srcIp; `id.resp_h`/`id.resp_p`
 * → destIp/destPort. `action` is null: Zeek only observes.
 */
import type { ParserFactory } from '@shadow-ai/core';
import { parseHttpStatus, urlTarget } from './fields.util.ts';
import { hostAndPort } from './common.util.ts';
import { createZeekParser, zeekCount, zeekEvent, zeekIp, zeekPort, type ZeekSpec } from './zeek.util.ts';

export const ZEEK_HTTP_FORMAT = 'zeek-http';

const SPEC: ZeekSpec = {
  format: ZEEK_HTTP_FORMAT,
  path: 'http',
  columns: [
    'ts', 'id.orig_h', 'id.resp_h', 'id.resp_p', 'method', 'host', 'uri', 'status_code', 'request_body_len',
    'response_body_len', 'user_agent', 'username',
  ],
  required: ['ts', 'uri'],
  signature: ['method', 'uri', 'host', 'status_code', 'trans_depth'],
  map: ([, origH, respH, respP, method, host, uri, status, reqLen, respLen, userAgent, username], ms) =>
    zeekEvent('proxy', ZEEK_HTTP_FORMAT, ms, (e) => {
      const srcIp = zeekIp(origH ?? null);
      if (srcIp === undefined) return 'bad id.orig_h: expected an IP address';
      const destIp = zeekIp(respH ?? null);
      if (destIp === undefined) return 'bad id.resp_h: expected an IP address';
      const destPort = zeekPort(respP ?? null);
      if (destPort === undefined) return 'bad id.resp_p: expected a port';
      const code = status ? parseHttpStatus(status) : null;
      if (code === undefined) return 'bad status_code: expected an HTTP status';
      const bytesOut = zeekCount(reqLen ?? null);
      if (bytesOut === undefined) return 'bad request_body_len: expected a byte count';
      const bytesIn = zeekCount(respLen ?? null);
      if (bytesIn === undefined) return 'bad response_body_len: expected a byte count';
      e.srcIp = srcIp;
      e.destIp = destIp;
      e.destPort = destPort;
      e.status = code;
      e.bytesOut = bytesOut;
      e.bytesIn = bytesIn;
      e.method = method ?? null;
      e.url = uri ?? null;
      e.userAgent = userAgent ?? null;
      e.user = username ?? null;
      // The Host header is whatever the client sent: garbage in it leaves host null rather than the line rejected.
      e.host = (host ? hostAndPort(host)?.host : undefined) ?? (uri ? urlTarget(uri).host : null);
      return null;
    }),
};

/** Stateful (the TSV layout comes from `#fields`): one instance per stream. */
export const createZeekHttpParser: ParserFactory = () => createZeekParser(SPEC);
