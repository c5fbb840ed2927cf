import type { LineParser, NormalizedEvent, ParseContext } from '@shadow-ai/core';

export interface LineLimits {
  maxLineBytes: number;
}

export interface ParsedLine {
  /** 0-based index of the line inside its message or body, blank lines included, so positions are stable. */
  line: number;
  event: NormalizedEvent;
}

export interface RejectedLine {
  line: number;
  reason: string;
  /** the original bytes of the line, without the line terminator */
  raw: Buffer;
}

export interface ParsedChunk {
  events: ParsedLine[];
  rejects: RejectedLine[];
  /** header and comment lines: not events, not errors */
  skipped: number;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits a message or request body into lines (LF or CRLF), enforces the line limits and parses each
 * line. Blank lines are not events and are passed over. Never throws for bad input: every line that
 * is not an event comes back in `rejects` with its reason and original bytes.
 */
export function parseLines(body: Buffer, parser: LineParser, ctx: ParseContext, limits: LineLimits): ParsedChunk {
  const out: ParsedChunk = { events: [], rejects: [], skipped: 0 };
  let text: string | null = null;
  try {
    text = strictUtf8.decode(body);
  } catch {
    // Some line is not UTF-8: fall back to decoding line by line so the good lines still count.
  }
  if (text !== null) {
    let start = 0;
    let index = 0;
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      const lineEnd = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
      if (lineEnd > start) handleLine(text.slice(start, lineEnd), index, null, parser, ctx, limits, out);
      index++;
      start = end + 1;
    }
    return out;
  }
  let start = 0;
  let index = 0;
  while (start <= body.length) {
    let end = body.indexOf(10, start);
    if (end === -1) end = body.length;
    const lineEnd = end > start && body[end - 1] === 13 ? end - 1 : end;
    if (lineEnd > start) {
      const raw = body.subarray(start, lineEnd);
      let line: string | null = null;
      try {
        line = strictUtf8.decode(raw);
      } catch {
        out.rejects.push({ line: index, reason: 'invalid UTF-8', raw: Buffer.from(raw) });
      }
      if (line !== null) handleLine(line, index, raw, parser, ctx, limits, out);
    }
    index++;
    start = end + 1;
  }
  return out;
}

function handleLine(
  line: string,
  index: number,
  raw: Buffer | null,
  parser: LineParser,
  ctx: ParseContext,
  limits: LineLimits,
  out: ParsedChunk,
): void {
  // String length is a lower bound of the UTF-8 byte length, so the exact count is only needed near the limit.
  if (line.length * 3 > limits.maxLineBytes) {
    const bytes = raw ? raw.length : Buffer.byteLength(line);
    if (bytes > limits.maxLineBytes) {
      out.rejects.push({
        line: index,
        reason: `line too long: ${bytes} bytes, limit ${limits.maxLineBytes}`,
        raw: raw ? Buffer.from(raw) : Buffer.from(line),
      });
      return;
    }
  }
  const result = parser(line, ctx);
  if (result.ok) out.events.push({ line: index, event: result.event });
  else if (result.skip) out.skipped++;
  else out.rejects.push({ line: index, reason: result.reason, raw: raw ? Buffer.from(raw) : Buffer.from(line) });
}

/** Non-empty lines in a message or body, without decoding it. */
export function countLines(body: Buffer): number {
  let n = 0;
  let start = 0;
  while (start < body.length) {
    let end = body.indexOf(10, start);
    if (end === -1) end = body.length;
    const len = end - start - (end > start && body[end - 1] === 13 ? 1 : 0);
    if (len > 0) n++;
    start = end + 1;
  }
  return n;
}
