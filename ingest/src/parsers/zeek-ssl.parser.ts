/**
 * Zeek `ssl.log` (TSV with `#fields` headers, or JSON lines) → `tls` events.
 * `server_name` (the SNI) → host, `id.orig_h` → srcIp, `id.resp_h`/`id.resp_p` → destIp/destPort. A
 * handshake without SNI keeps host null. `action` is null: Zeek only observes.
 */
import type { ParserFactory } from '@shadow-ai/core';
import { normalizeHostname } from './fields.util.ts';
import { createZeekParser, zeekEvent, zeekIp, zeekPort, type ZeekSpec } from './zeek.util.ts';

export const ZEEK_SSL_FORMAT = 'zeek-ssl';

const SPEC: ZeekSpec = {
  format: ZEEK_SSL_FORMAT,
  path: 'ssl',
  columns: ['ts', 'id.orig_h', 'id.resp_h', 'id.resp_p', 'server_name'],
  required: ['ts', 'server_name'],
  signature: ['server_name', 'version', 'cipher', 'established', 'ssl_history'],
  map: ([, origH, respH, respP, serverName], ms) =>
    zeekEvent('tls', ZEEK_SSL_FORMAT, ms, (e) => {
      const srcIp = zeekIp(origH ?? null);
      if (srcIp === undefined) return 'bad id.orig_h: expected an IP address';
      const destIp = zeekIp(respH ?? null);
      if (destIp === undefined) return 'bad id.resp_h: expected an IP address';
      const destPort = zeekPort(respP ?? null);
      if (destPort === undefined) return 'bad id.resp_p: expected a port';
      e.srcIp = srcIp;
      e.destIp = destIp;
      e.destPort = destPort;
      e.host = serverName ? normalizeHostname(serverName) : null;
      return null;
    }),
};

/** Stateful (the TSV layout comes from `#fields`): one instance per stream. */
export const createZeekSslParser: ParserFactory = () => createZeekParser(SPEC);
