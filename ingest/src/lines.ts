import { isAscii, isUtf8 } from 'node:buffer';
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
  if (meanLineBytes(body) >= OWN_STRING_MIN_BYTES) {
    // ASCII (the common case) decodes byte for char, as Latin-1 does: the same strings without the UTF-8
    // decoder's work on every line.
    const encoding = isAscii(body) ? 'latin1' : isUtf8(body) ? 'utf8' : null;
    if (encoding !== null) {
      parseOwnStrings(body, encoding, parser, ctx, limits, out);
      return out;
    }
  } else {
    // null when some line is not UTF-8: decoded line by line below, so the good lines still count.
    const text = decodeBody(body);
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
  }
  // Some line is not UTF-8: decode line by line so the good lines still count.
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

/** The body as text, or null when some line is not UTF-8. ASCII is decoded as Latin-1: see parseLines. */
function decodeBody(body: Buffer): string | null {
  if (isAscii(body)) return body.toString('latin1');
  try {
    return strictUtf8.decode(body);
  } catch {
    return null;
  }
}

/**
 * From this mean line length on, each line is decoded into a string of its own instead of being cut out of the
 * decoded body. TRICKY: a cut-out line is a view into the body's string, and every char a parser reads through
 * such a view costs about a third more (measured on FortiGate's key scan, 690-byte lines): on long lines that is
 * worth a decode call per line, on short ones (Squid, DNS logs) the call costs more than it saves.
 */
const OWN_STRING_MIN_BYTES = 200;
const PROBE_BYTES = 4096;

/** The mean line length over the first few KiB: logs in one body come from one source, in one layout. */
function meanLineBytes(body: Buffer): number {
  const probe = Math.min(body.length, PROBE_BYTES);
  let lines = 1;
  for (let i = body.indexOf(10); i !== -1 && i < probe - 1; i = body.indexOf(10, i + 1)) lines++;
  return probe / lines;
}

/**
 * Lines of a body already known to be UTF-8 (`latin1` when it is all ASCII), each decoded on its own; `\n`
 * (one byte) can only end a line.
 */
function parseOwnStrings(
  body: Buffer,
  encoding: 'utf8' | 'latin1',
  parser: LineParser,
  ctx: ParseContext,
  limits: LineLimits,
  out: ParsedChunk,
): void {
  // As TextDecoder would, a byte order mark at the start of the body is not part of the first line.
  let start = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  let index = 0;
  while (start <= body.length) {
    let end = body.indexOf(10, start);
    if (end === -1) end = body.length;
    const lineEnd = end > start && body[end - 1] === 13 ? end - 1 : end;
    if (lineEnd > start) handleLine(body.toString(encoding, start, lineEnd), index, null, parser, ctx, limits, out);
    index++;
    start = end + 1;
  }
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
