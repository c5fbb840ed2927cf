import type { LineParser, ParseContext, ParserFactory, ParserOptions } from '@shadow-ai/core';
import { parseBind } from './bind.parser.ts';
import { parseSquid } from './squid.parser.ts';

export { parseBind } from './bind.parser.ts';
export { parseSquid } from './squid.parser.ts';

/** A stateless parser serves every stream; its factory hands out the one function. */
const stateless = (parse: LineParser): ParserFactory => () => parse;

/** Parser factory by format id (`--format`, `POST /v1/ingest/{format}`, a topic's configured format). */
export const PARSERS: Readonly<Record<string, ParserFactory>> = Object.freeze({
  squid: stateless(parseSquid),
  bind: stateless(parseBind),
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
    const parse = factory();
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
