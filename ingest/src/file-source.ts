import { open } from 'node:fs/promises';

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
  const file = await open(path, 'r');
  // Each read goes into a fresh buffer (a chunk handed out may be kept), behind the unfinished line the previous
  // read ended with: only that tail is copied, not the whole read as joining two buffers would. The next read is
  // under way while the consumer works on the current chunk, as a read stream's read-ahead would be.
  const readAfter = async (carry: Buffer): Promise<{ data: Buffer; bytesRead: number }> => {
    const buf = Buffer.allocUnsafe(carry.length + chunkBytes);
    carry.copy(buf, 0);
    const { bytesRead } = await file.read(buf, carry.length, chunkBytes, null);
    return { data: buf.subarray(0, carry.length + bytesRead), bytesRead };
  };
  let pending: Promise<{ data: Buffer; bytesRead: number }> | null = null;
  try {
    let line = 0;
    pending = readAfter(Buffer.alloc(0));
    for (;;) {
      const { data, bytesRead } = await pending;
      pending = null;
      if (bytesRead === 0) {
        if (data.length > 0) yield { buffer: data, firstLine: line };
        return;
      }
      const lastNewline = data.lastIndexOf(10);
      if (lastNewline === -1) {
        pending = readAfter(data);
        continue;
      }
      const whole = data.subarray(0, lastNewline + 1);
      pending = readAfter(data.subarray(lastNewline + 1));
      yield { buffer: whole, firstLine: line };
      line += countNewlines(whole);
    }
  } finally {
    // A consumer that stops early leaves a read in flight: let it end before the file is closed.
    await pending?.catch(() => undefined);
    await file.close();
  }
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
