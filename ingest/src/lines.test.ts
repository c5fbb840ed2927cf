import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyEvent, parsed, rejected, type LineParser } from '@shadow-ai/core';
import { countLines, parseLines } from './lines.ts';

// A parser that accepts lines starting with "ok" and names the rest: parseLines is under test, not a format.
const okParser: LineParser = (line) =>
  line.startsWith('ok') ? parsed({ ...emptyEvent('proxy', 'test', '2026-11-25T00:00:00.000Z'), host: line.slice(3) }) : rejected(`not ok: ${line.slice(0, 10)}`);
const ctx = { receivedAt: new Date() };
const limits = { maxLineBytes: 100 };

describe('parseLines', () => {
  it('splits LF and CRLF lines, skips blank lines, and keeps line numbers stable', () => {
    const r = parseLines(Buffer.from('ok a\r\n\nbad\nok b'), okParser, ctx, limits);
    expect(r.events.map((e) => [e.line, e.event.host])).toEqual([
      [0, 'a'],
      [3, 'b'],
    ]);
    expect(r.rejects).toEqual([{ line: 2, reason: 'not ok: bad', raw: Buffer.from('bad') }]);
  });

  it('rejects an invalid UTF-8 line with its original bytes and still parses the others', () => {
    const body = Buffer.concat([Buffer.from('ok a\n'), Buffer.from([0x6f, 0x6b, 0x20, 0xc3, 0x28]), Buffer.from('\nok c\n')]);
    const r = parseLines(body, okParser, ctx, limits);
    expect(r.events.map((e) => e.line)).toEqual([0, 2]);
    expect(r.rejects).toEqual([{ line: 1, reason: 'invalid UTF-8', raw: Buffer.from([0x6f, 0x6b, 0x20, 0xc3, 0x28]) }]);
  });

  it('rejects lines over the byte limit, counting multi-byte characters as bytes', () => {
    const long = 'ok ' + 'é'.repeat(60); // 123 bytes, 63 characters
    const r = parseLines(Buffer.from(`${long}\nok short`), okParser, ctx, limits);
    expect(r.rejects).toHaveLength(1);
    expect(r.rejects[0]!.reason).toBe('line too long: 123 bytes, limit 100');
    expect(r.rejects[0]!.raw.equals(Buffer.from(long))).toBe(true);
    expect(r.events).toHaveLength(1);
  });

  it('reads long lines as short ones: CRLF, blank lines, a byte order mark, multi-byte characters', () => {
    const long = (tag: string) => `ok ${tag}${'é-x'.repeat(100)}`;
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${long('a')}\r\n\n${long('b')}\nbad ${long('c')}\n`)]);
    const r = parseLines(body, okParser, ctx, { maxLineBytes: 65536 });
    expect(r.events.map((e) => [e.line, e.event.host])).toEqual([[0, long('a').slice(3)], [2, long('b').slice(3)]]);
    expect(r.rejects.map((x) => [x.line, x.raw.toString()])).toEqual([[3, `bad ${long('c')}`]]);
  });

  it('yields what decoding the whole body and splitting it would, for any UTF-8 body', () => {
    const line = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'grapheme', minLength: 200, maxLength: 600 }))
      .map((l) => l.replace(/[\r\n]/g, ''));
    const body = fc.tuple(fc.array(line, { maxLength: 30 }), fc.constantFrom('\n', '\r\n'), fc.boolean(), fc.boolean())
      .map(([ls, eol, bom, last]) => (bom ? '\ufeff' : '') + ls.map((l, i) => (i % 3 === 0 ? `ok ${l}` : l)).join(eol) + (last ? eol : ''));
    fc.assert(fc.property(body, (text) => {
      const expected: [number, string][] = [];
      text.replace(/^\ufeff/, '').split('\n').forEach((l, i) => {
        const line = l.endsWith('\r') ? l.slice(0, -1) : l;
        if (line.startsWith('ok')) expected.push([i, line.slice(3)]);
      });
      const r = parseLines(Buffer.from(text), okParser, ctx, { maxLineBytes: 65536 });
      expect(r.events.map((e) => [e.line, e.event.host])).toEqual(expected);
    }), { numRuns: 300 });
  });

  it('reads all-ASCII bodies, long lines and short, as decoding the whole body and splitting it would', () => {
    // Control characters included: they reach the parser unchanged, whose business they are.
    const ascii = (minLength: number, maxLength: number) =>
      fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), minLength, maxLength })
        .map((l) => l.replace(/[\r\n]/g, ''));
    const body = fc.tuple(fc.array(fc.oneof(ascii(0, 40), ascii(200, 600)), { maxLength: 30 }), fc.constantFrom('\n', '\r\n'), fc.boolean())
      .map(([ls, eol, last]) => ls.map((l, i) => (i % 3 === 0 ? `ok ${l}` : l)).join(eol) + (last ? eol : ''));
    const echo: LineParser = (line) => (line.startsWith('ok') ? parsed({ ...emptyEvent('proxy', 'test', 'ts'), url: line }) : rejected('not ok'));
    fc.assert(fc.property(body, (text) => {
      const expected: [number, string][] = [];
      text.split('\n').forEach((l, i) => {
        const line = l.endsWith('\r') ? l.slice(0, -1) : l;
        if (line.startsWith('ok')) expected.push([i, line]);
      });
      const r = parseLines(Buffer.from(text), echo, ctx, { maxLineBytes: 65536 });
      expect(r.events.map((e) => [e.line, e.event.url])).toEqual(expected);
    }), { numRuns: 300 });
  });

  it('rejects an invalid UTF-8 line among long ASCII lines, and long lines over the byte limit', () => {
    const long = (tag: string) => `ok ${tag}${'x'.repeat(300)}`;
    const bad = Buffer.concat([Buffer.from('ok bad '), Buffer.from([0xc3, 0x28]), Buffer.from('y'.repeat(300))]);
    const body = Buffer.concat([Buffer.from(`${long('a')}\r\n`), bad, Buffer.from(`\n${long('b')}\n${long('c')}${'z'.repeat(200)}\n`)]);
    const r = parseLines(body, okParser, ctx, { maxLineBytes: 400 });
    expect(r.events.map((e) => [e.line, e.event.host])).toEqual([[0, long('a').slice(3)], [2, long('b').slice(3)]]);
    expect(r.rejects).toEqual([
      { line: 1, reason: 'invalid UTF-8', raw: bad },
      { line: 3, reason: 'line too long: 504 bytes, limit 400', raw: Buffer.from(`${long('c')}${'z'.repeat(200)}`) },
    ]);
  });

  it('rejects a long all-ASCII line over the byte limit with its bytes', () => {
    const long = `ok ${'x'.repeat(500)}`;
    const r = parseLines(Buffer.from(`${long}\r\n${long.slice(0, 250)}\r\n`), okParser, ctx, { maxLineBytes: 400 });
    expect(r.rejects).toEqual([{ line: 0, reason: 'line too long: 503 bytes, limit 400', raw: Buffer.from(long) }]);
    expect(r.events.map((e) => e.line)).toEqual([1]);
  });

  it('returns nothing for an empty body', () => {
    expect(parseLines(Buffer.alloc(0), okParser, ctx, limits)).toEqual({ events: [], rejects: [], skipped: 0 });
  });
});

describe('countLines', () => {
  it('counts non-empty lines without decoding', () => {
    expect(countLines(Buffer.from('a\r\n\nb\nc'))).toBe(3);
    expect(countLines(Buffer.from('\n\n'))).toBe(0);
    expect(countLines(Buffer.from([0xff, 0x0a, 0xfe]))).toBe(2);
  });
});
