import { createReadStream } from 'node:fs';

export interface LineChunk {
  /** whole lines, newline-separated; the last line of the file may lack its newline */
  buffer: Buffer;
  /** 0-based number of the chunk's first line within the file */
  firstLine: number;
}

/**
 * Reads a file as chunks of whole lines, as bytes: decoding is the parser's business, so a line that
 * is not UTF-8 is reported rather than silently replaced. Memory stays bounded by the chunk size
 * (plus the longest line).
 */
export async function* readLineChunks(path: string, chunkBytes = 1024 * 1024): AsyncGenerator<LineChunk> {
  let carry: Buffer = Buffer.alloc(0);
  let line = 0;
  for await (const data of createReadStream(path, { highWaterMark: chunkBytes })) {
    const buf: Buffer = carry.length > 0 ? Buffer.concat([carry, data as Buffer]) : (data as Buffer);
    const lastNewline = buf.lastIndexOf(10);
    if (lastNewline === -1) {
      carry = buf;
      continue;
    }
    const whole = buf.subarray(0, lastNewline + 1);
    carry = Buffer.from(buf.subarray(lastNewline + 1));
    yield { buffer: whole, firstLine: line };
    line += countNewlines(whole);
  }
  if (carry.length > 0) yield { buffer: carry, firstLine: line };
}

function countNewlines(buf: Buffer): number {
  let n = 0;
  let i = buf.indexOf(10);
  while (i !== -1) {
    n++;
    i = buf.indexOf(10, i + 1);
  }
  return n;
}

/** The first non-empty lines of a file, for format detection. */
export async function sampleLines(path: string, max = 200): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of readLineChunks(path, 64 * 1024)) {
    for (const l of chunk.buffer.toString('utf8').split('\n')) {
      const t = l.replace(/\r$/, '');
      if (t.trim().length > 0) out.push(t);
      if (out.length >= max) return out;
    }
  }
  return out;
}
