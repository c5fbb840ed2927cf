import type { LineParser, ParseContext, ParserFactory, ParserOptions } from '@shadow-ai/core';
import { createBindParser } from './bind.parser.ts';
import { createCheckpointParser } from './checkpoint.parser.ts';
import { createFortigateParser } from './fortigate.parser.ts';
import { createPanosParser } from './panos.parser.ts';
import { createProxySgParser } from './proxysg.parser.ts';
import { createUmbrellaDnsParser, createUmbrellaProxyParser } from './umbrella.parser.ts';
import { createZscalerParser } from './zscaler.parser.ts';
import { createCefParser } from './cef.parser.ts';
import { createDnsmasqParser } from './dnsmasq.parser.ts';
import { createInfobloxParser } from './infoblox.parser.ts';
import { createJsonParser } from './json.parser.ts';
import { createLeefParser } from './leef.parser.ts';
import { createSquidCustomParser } from './squid-custom.parser.ts';
import { createUnboundParser } from './unbound.parser.ts';
import { createWindowsDnsParser } from './windows-dns.parser.ts';
import { createZeekDnsParser } from './zeek-dns.parser.ts';
import { createZeekHttpParser } from './zeek-http.parser.ts';
import { createZeekSslParser } from './zeek-ssl.parser.ts';
import { parseSquid } from './squid.parser.ts';

export { parseBind } from './bind.parser.ts';
export { parseSquid } from './squid.parser.ts';

/** A stateless parser serves every stream; its factory hands out the one function. */
const stateless = (parse: LineParser): ParserFactory => () => parse;

/** Parser factory by format id (`--format`, `POST /v1/ingest/{format}`, a topic's configured format). */
export const PARSERS: Readonly<Record<string, ParserFactory>> = Object.freeze({
  squid: stateless(parseSquid),
  bind: createBindParser,
  zscaler: createZscalerParser,
  panos: createPanosParser,
  'umbrella-proxy': createUmbrellaProxyParser,
  'umbrella-dns': createUmbrellaDnsParser,
  proxysg: createProxySgParser,
  fortigate: createFortigateParser,
  checkpoint: createCheckpointParser,
  'zeek-dns': createZeekDnsParser,
  'zeek-http': createZeekHttpParser,
  'zeek-ssl': createZeekSslParser,
  'windows-dns': createWindowsDnsParser,
  // After bind: NIOS runs BIND, so plain BIND lines parse as both; ties go to the earlier entry.
  infoblox: createInfobloxParser,
  cef: createCefParser,
  leef: createLeefParser,
  unbound: createUnboundParser,
  dnsmasq: createDnsmasqParser,
  json: createJsonParser,
  'squid-custom': createSquidCustomParser,
});

export const FORMATS: readonly string[] = Object.keys(PARSERS);

export function isFormat(format: string): boolean {
  // hasOwn: `constructor`, `__proto__` … are not formats.
  return Object.hasOwn(PARSERS, format);
}

/** A parser instance for one stream of lines, or undefined for an unknown format. */
export function createParser(format: string, opts?: ParserOptions): LineParser | undefined {
  return isFormat(format) ? PARSERS[format]!(opts) : undefined;
}

/**
 * `--format auto`: the format whose parser accepts the most non-empty sample lines; null when none accepts
 * any. On a tie the earlier entry of PARSERS wins. Only acceptance is looked at, so the receive time given
 * to the parsers does not matter.
 */
export function detectFormat(sampleLines: string[]): string | null {
  const ctx: ParseContext = { receivedAt: new Date(0) };
  let best: string | null = null;
  let bestCount = 0;
  for (const [format, factory] of Object.entries(PARSERS)) {
    // A fresh instance per format: header lines in the sample set up stateful parsers as they would a stream.
    // Formats that need configuration (json's field map, squid-custom's logformat) are never guessed.
    let parse: LineParser;
    try {
      parse = factory();
    } catch {
      continue;
    }
    let count = 0;
    for (const line of sampleLines) {
      if (line.trim() !== '' && parse(line, ctx).ok) count++;
    }
    if (count > bestCount) {
      best = format;
      bestCount = count;
    }
  }
  return best;
}

/**
 * The parser for a source: the named format, or with `auto` the format detected from `sample` (the
 * source's first lines). Null when `auto` finds no format that accepts the sample.
 */
export function resolveParser(
  format: string,
  sample: () => string[],
  opts?: ParserOptions,
): { format: string; parse: LineParser } | null {
  const chosen = format === 'auto' ? detectFormat(sample()) : format;
  if (chosen === null) return null;
  const parse = createParser(chosen, opts);
  return parse ? { format: chosen, parse } : null;
}
