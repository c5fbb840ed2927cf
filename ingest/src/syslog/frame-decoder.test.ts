import { describe, expect, it } from 'vitest';
import { FrameDecoder } from './syslog.listener.ts';

function decode(chunks: (string | Buffer)[], max = 100) {
  const frames: string[] = [];
  const bad: string[] = [];
  const d = new FrameDecoder(max, (f) => frames.push(f.toString()), (b, r) => bad.push(`${r}: ${b.toString()}`));
  for (const c of chunks) d.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return { frames, bad };
}

describe('FrameDecoder (RFC 6587)', () => {
  it('splits octet-counted frames, also across chunk boundaries', () => {
    expect(decode(['5 <1>ab6 <1>cde', '7 <1>fg', 'hi']).frames).toEqual(['<1>ab', '<1>cde', '<1>fghi']);
  });

  it('splits newline-framed messages, with LF or CRLF', () => {
    expect(decode(['<1>a\n<1>b\r\n<1>', 'c\n']).frames).toEqual(['<1>a', '<1>b', '<1>c']);
  });

  it('lets one stream mix both framings', () => {
    expect(decode(['<1>a\n4 <1>b<1>c\n']).frames).toEqual(['<1>a', '<1>b', '<1>c']);
  });

  it('dead-letters a malformed or oversized frame and carries on with the next line', () => {
    const r = decode(['12x <1>junk\n<1>ok\n', '999 <1>too big\n<1>after\n']);
    expect(r.frames).toEqual(['<1>ok', '<1>after']);
    expect(r.bad).toEqual(['malformed octet count: 12x <1>junk', 'frame of 999 bytes over the limit 100: 999 <1>too big']);
  });

  it('dead-letters a line longer than the limit without waiting for its end forever', () => {
    const r = decode(['<1>' + 'x'.repeat(150)], 100);
    expect(r.frames).toEqual([]);
    expect(r.bad).toHaveLength(1);
    expect(r.bad[0]).toMatch(/^line over the limit 100 bytes/);
  });
});
