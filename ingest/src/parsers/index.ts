import type { LineParser, ParseContext } from '@shadow-ai/core';
import { parseBind } from './bind.parser.ts';
import { parseSquid } from './squid.parser.ts';

export { parseBind } from './bind.parser.ts';
export { parseSquid } from './squid.parser.ts';

/** Parser by format id (`--format`, `POST /v1/ingest/{format}`, a topic's configured format). */
export const PARSERS: Record<string, LineParser> = Object.freeze({
  squid: parseSquid,
  bind: parseBind,
});

export function getParser(format: string): LineParser | undefined {
  // hasOwn: `constructor`, `__proto__` … are not formats.
  return Object.hasOwn(PARSERS, format) ? PARSERS[format] : undefined;
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
  for (const [format, parse] of Object.entries(PARSERS)) {
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
