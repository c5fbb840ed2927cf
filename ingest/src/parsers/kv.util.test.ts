import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDeviceTime, parseWithJavaPattern, scanCefPairs, splitCefPairs } from './kv.util.ts';
import { keySlots } from './vendor.util.ts';

const received = new Date('2026-11-25T12:00:00Z');

function pairs(ext: string): string[] | false {
  const out: string[] = [];
  return splitCefPairs(ext, out) ? out : false;
}

describe('splitCefPairs', () => {
  it('splits on key= boundaries, keeping spaces and unescaped = inside values', () => {
    expect(pairs('src=10.1.2.3 msg=hello big world request=https://x.ai/?a=b&c=d suser=J Q')).toEqual([
      'src', '10.1.2.3', 'msg', 'hello big world', 'request', 'https://x.ai/?a=b&c=d', 'suser', 'J Q',
    ]);
  });

  it('unescapes \\= \\\\ \\n and does not split at an escaped =', () => {
    expect(pairs('msg=a\\=b c\\\\d\\ne x=1')).toEqual(['msg', 'a=b c\\d\ne', 'x', '1']);
    expect(pairs('msg=path\\\\ k=v')).toEqual(['msg', 'path\\', 'k', 'v']);
  });

  it('accepts an empty extension and rejects text before the first key', () => {
    expect(pairs('')).toEqual([]);
    expect(pairs('  ')).toEqual([]);
    expect(pairs('junk src=1')).toBe(false);
    expect(pairs('no pairs at all')).toBe(false);
  });

  it('never throws and always yields an even number of strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
      const out: string[] = [];
      splitCefPairs(s, out);
      expect(out.length % 2).toBe(0);
    }));
  });
});

describe('scanCefPairs', () => {
  const slots = keySlots(['src', 'msg', 'request'], new Map([['requestUrl', 'request']]));
  const keepAll = (v: string): string => v;

  it('keeps the first accepted value per slot, an alias counting as its key', () => {
    const out: (string | undefined)[] = [];
    const skipDash = (v: string): string | undefined => (v === '-' ? undefined : v);
    expect(scanCefPairs('x=1 src=- requestUrl=https://a.ai/?q=1 src=10.0.0.1 request=/later msg=a\\=b', 0, slots, out, skipDash))
      .toBe(true);
    expect(out).toEqual(['10.0.0.1', 'a=b', 'https://a.ai/?q=1']);
  });

  it('reads from an offset and agrees with splitCefPairs on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), fc.array(fc.constantFrom('src=', ' msg=', ' request=', '\\', ' ', 'x'), { maxLength: 8 }),
      (junk, parts) => {
        const ext = parts.join('') + junk;
        const pairs: string[] = [];
        const ok = splitCefPairs(ext, pairs);
        const out: (string | undefined)[] = [];
        expect(scanCefPairs(`head|${ext}`, 5, slots, out, keepAll)).toBe(ok);
        if (!ok) return;
        const expected: (string | undefined)[] = [];
        for (let k = 0; k < pairs.length; k += 2) {
          const slot = ['src', 'msg', 'request', 'requestUrl'].indexOf(pairs[k]!);
          const at = slot === 3 ? 2 : slot;
          if (at !== -1 && expected[at] === undefined) expected[at] = pairs[k + 1];
        }
        for (let i = 0; i < 3; i++) expect(out[i]).toBe(expected[i]);
      }));
  });
});

describe('device times', () => {
  it('reads CEF/LEEF time forms', () => {
    expect(parseDeviceTime('1795600800000', 'UTC', received)).toBe(1795600800000);
    expect(parseDeviceTime('1795600800', 'UTC', received)).toBe(1795600800000);
    expect(parseDeviceTime('Nov 25 2026 10:00:00.250 UTC', 'Europe/Berlin', received)).toBe(1795600800250);
    expect(parseDeviceTime('Nov 25 11:00:00', 'Europe/Berlin', received)).toBe(1795600800000);
    expect(parseDeviceTime('Nov 25 2026 10:00:00 CST', 'UTC', received)).toBeUndefined();
    expect(parseDeviceTime('whenever', 'UTC', received)).toBeUndefined();
  });

  it('reads SimpleDateFormat patterns and explains mismatches', () => {
    expect(parseWithJavaPattern('2026.11.25 AD 10:00:00 GMT', "yyyy.MM.dd 'AD' HH:mm:ss z", 'UTC', received)).toBe(1795600800000);
    expect(parseWithJavaPattern('Nov 25, 10:00 AM', 'MMM dd, hh:mm a', 'UTC', received)).toBe(1795600800000);
    expect(parseWithJavaPattern('2026-11-25', 'yyyy-MM-dd HH', 'UTC', received)).toMatch(/does not match/);
    expect(parseWithJavaPattern('x', "yyyy 'open", 'UTC', received)).toMatch(/unterminated quote/);
  });
});
