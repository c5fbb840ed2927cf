import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readLineChunks, sampleLines } from './file-source.ts';

const dir = mkdtempSync(join(tmpdir(), 'file-source-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function fileWith(content: Buffer | string): string {
  const path = join(dir, `f${files++}.log`);
  writeFileSync(path, content);
  return path;
}

async function chunksOf(path: string, chunkBytes: number): Promise<{ buffer: Buffer; firstLine: number }[]> {
  const out: { buffer: Buffer; firstLine: number }[] = [];
  for await (const c of readLineChunks(path, chunkBytes)) out.push({ buffer: Buffer.from(c.buffer), firstLine: c.firstLine });
  return out;
}

describe('readLineChunks', () => {
  it('yields whole lines with the number of each chunk\'s first line, the last line without its newline too', async () => {
    // Reads of 6 bytes: `aa\nbbb`, then the unfinished `bbb` with `b\ncc\r\n`, then `d`.
    const chunks = await chunksOf(fileWith('aa\nbbbb\ncc\r\nd'), 6);
    expect(chunks.map((c) => [c.buffer.toString(), c.firstLine])).toEqual([['aa\n', 0], ['bbbb\ncc\r\n', 1], ['d', 3]]);
  });

  it('keeps a line longer than the chunk size whole', async () => {
    const long = 'x'.repeat(50);
    const chunks = await chunksOf(fileWith(`a\n${long}\nb\n`), 8);
    expect(chunks.some((c) => c.buffer.toString().split('\n').includes(long))).toBe(true);
    expect(Buffer.concat(chunks.map((c) => c.buffer)).toString()).toBe(`a\n${long}\nb\n`);
  });

  it('yields nothing for an empty file', async () => {
    expect(await chunksOf(fileWith(''), 8)).toEqual([]);
  });

  it('gives back the file\'s bytes, cut only after newlines, for any content and chunk size', async () => {
    const content = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a.map((b) => (b % 7 === 0 ? 10 : b))));
    await fc.assert(fc.asyncProperty(content, fc.integer({ min: 1, max: 64 }), async (bytes, chunkBytes) => {
      const chunks = await chunksOf(fileWith(bytes), chunkBytes);
      expect(Buffer.concat(chunks.map((c) => c.buffer)).equals(bytes)).toBe(true);
      let line = 0;
      for (const [i, c] of chunks.entries()) {
        expect(c.firstLine).toBe(line);
        expect(c.buffer.length).toBeGreaterThan(0);
        if (i < chunks.length - 1) expect(c.buffer[c.buffer.length - 1]).toBe(10);
        line += c.buffer.filter((b) => b === 10).length;
      }
    }), { numRuns: 200 });
  });

  it('lets a consumer stop early', async () => {
    const path = fileWith('a\n'.repeat(1000));
    for await (const c of readLineChunks(path, 16)) {
      expect(c.firstLine).toBe(0);
      break;
    }
    expect(await sampleLines(path, 3)).toEqual(['a', 'a', 'a']);
  });

  it('fails for a missing file', async () => {
    await expect(chunksOf(join(dir, 'missing.log'), 8)).rejects.toThrow(/ENOENT/);
  });
});
