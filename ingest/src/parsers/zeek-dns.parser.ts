/**
 * Zeek `dns.log` (TSV with `#fields` headers, or JSON lines) → `dns` events.
 * `query` → host, `qtype_name` (else `qtype`) → dnsType, `rcode_name` (else `rcode`) → dnsRcode,
 * `id.orig_h` → srcIp, `id.resp_h`/`id.resp_p` → destIp/destPort. Zeek watches the wire and does not
 * decide anything, so `action` is null.
 */
import type { ParserFactory } from '@shadow-ai/core';
import { normalizeHostname } from './fields.util.ts';
import { dnsRcodeFromText, dnsTypeFromText } from './common.util.ts';
import { createZeekParser, zeekEvent, zeekIp, zeekPort, type ZeekSpec } from './zeek.util.ts';

export const ZEEK_DNS_FORMAT = 'zeek-dns';

const SPEC: ZeekSpec = {
  format: ZEEK_DNS_FORMAT,
  path: 'dns',
  columns: ['ts', 'id.orig_h', 'id.resp_h', 'id.resp_p', 'query', 'qtype_name', 'qtype', 'rcode_name', 'rcode'],
  required: ['ts', 'query'],
  signature: ['query', 'qtype', 'qtype_name', 'rcode', 'trans_id'],
  map: ([, origH, respH, respP, query, qtypeName, qtype, rcodeName, rcode], ms) =>
    zeekEvent('dns', ZEEK_DNS_FORMAT, ms, (e) => {
      const srcIp = zeekIp(origH ?? null);
      if (srcIp === undefined) return 'bad id.orig_h: expected an IP address';
      const destIp = zeekIp(respH ?? null);
      if (destIp === undefined) return 'bad id.resp_h: expected an IP address';
      const destPort = zeekPort(respP ?? null);
      if (destPort === undefined) return 'bad id.resp_p: expected a port';
      e.srcIp = srcIp;
      e.destIp = destIp;
      e.destPort = destPort;
      // Names that are not hostnames (escaped bytes, the root) leave host null, as in the other DNS parsers.
      e.host = query ? normalizeHostname(query) : null;
      e.dnsType = (qtypeName ? dnsTypeFromText(qtypeName) : undefined) ?? (qtype ? dnsTypeFromText(qtype) : undefined) ?? null;
      e.dnsRcode = (rcodeName ? dnsRcodeFromText(rcodeName) : undefined) ?? (rcode ? dnsRcodeFromText(rcode) : undefined) ?? null;
      return null;
    }),
};

/** Stateful (the TSV layout comes from `#fields`): one instance per stream. */
export const createZeekDnsParser: ParserFactory = () => createZeekParser(SPEC);
