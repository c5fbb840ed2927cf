import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CsvFields, GLUED_QUOTE, UNTERMINATED_QUOTE, indexCsv, keySlots, parseDateTime, parseEpochAuto, parsePortField,
  parseUtcOffset, resolveTimeZone, scanColonPairs, scanKeyValues, slotAt, splitCsv, textOrNull, wallClockMillis,
  type CsvStop,
} from './vendor.util.ts';

describe('splitCsv', () => {
  it('splits unquoted and quoted fields, keeping empty ones', () => {
    expect(splitCsv('a,,"b",c', 0, ',')).toEqual(['a', '', 'b', 'c']);
    expect(splitCsv('', 0, ',')).toEqual(['']);
    expect(splitCsv('a,', 0, ',')).toEqual(['a', '']);
  });

  it('keeps separators inside quotes and turns "" into a quote', () => {
    expect(splitCsv('"a,b","say ""hi""",""', 0, ',')).toEqual(['a,b', 'say "hi"', '']);
  });

  it('ignores blanks around quoted fields but keeps them in unquoted ones', () => {
    expect(splitCsv('"a", "b" ,  c ', 0, ',')).toEqual(['a', 'b', '  c ']);
  });

  it('starts at the given offset and honours another separator', () => {
    expect(splitCsv('<14>hdr x\ty\t"z\tw"', 8, '\t')).toEqual(['x', 'y', 'z\tw']);
  });

  it('stops after max fields and says where the rest begins', () => {
    const stop: CsvStop = { at: 0 };
    expect(splitCsv('a,"b,c",d,e', 0, ',', 2, stop)).toEqual(['a', 'b,c']);
    expect(stop.at).toBe(8);
    expect(splitCsv('a,b', 0, ',', 5, stop)).toEqual(['a', 'b']);
    expect(stop.at).toBe(-1);
  });

  it('reports unterminated and glued quoted fields', () => {
    expect(splitCsv('"a,b', 0, ',')).toBe(UNTERMINATED_QUOTE);
    expect(splitCsv('"a"b,c', 0, ',')).toBe(GLUED_QUOTE);
  });
});

describe('indexCsv', () => {
  it('locates the fields splitCsv cuts out, and compares them in place', () => {
    const f = new CsvFields();
    expect(indexCsv('x,"say ""hi""", b ,', 0, ',', Infinity, f)).toBeUndefined();
    expect(f.count).toBe(4);
    expect([0, 1, 2, 3, 4].map((i) => f.text(i))).toEqual(['x', 'say "hi"', ' b ', '', undefined]);
    expect(f.is(1, 'say "hi"')).toBe(true);
    expect(f.is(0, 'x')).toBe(true);
    expect(f.is(0, 'xy')).toBe(false);
    expect(f.is(9, '')).toBe(false);
    expect(f.rawLength(1)).toBe(10);
    expect(f.rawLength(4)).toBe(-1);
  });

  it('grows past its initial capacity and is reusable from line to line', () => {
    const f = new CsvFields();
    const wide = Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? `"${i}"""` : String(i))).join(',');
    expect(indexCsv(wide, 0, ',', Infinity, f)).toBeUndefined();
    expect(f.count).toBe(300);
    expect(f.text(298)).toBe('298"');
    expect(f.text(299)).toBe('299');
    expect(indexCsv('a,b', 0, ',', Infinity, f)).toBeUndefined();
    expect(f.count).toBe(2);
    expect(f.text(1)).toBe('b');
  });

  it('agrees with splitCsv on arbitrary text', () => {
    const f = new CsvFields();
    const text = fc.array(fc.constantFrom('a', ',', '"', ' ', '\t', 'bc', '""'), { maxLength: 30 }).map((a) => a.join(''));
    fc.assert(fc.property(text, fc.nat(3), fc.integer({ min: 1, max: 8 }), (s, start, max) => {
      const from = Math.min(start, s.length);
      const stop: CsvStop = { at: 0 };
      const split = splitCsv(s, from, ',', max, stop);
      const bad = indexCsv(s, from, ',', max, f);
      if (typeof split === 'string') {
        expect(bad).toBe(split);
        return;
      }
      expect(bad).toBeUndefined();
      expect(Array.from({ length: f.count }, (_, i) => f.text(i))).toEqual(split);
      expect(f.stop).toBe(stop.at);
      split.forEach((v, i) => expect(f.is(i, v)).toBe(true));
    }));
  });
});

describe('keySlots', () => {
  it('puts an alias in the slot of the key it stands for and ignores other keys', () => {
    const slots = keySlots(['src', 'request'], new Map([['requestUrl', 'request']]));
    const line = 'requestUrl src request other';
    expect(slotAt(slots, line, 0, 10)).toBe(1);
    expect(slotAt(slots, line, 11, 14)).toBe(0);
    expect(slotAt(slots, line, 15, 22)).toBe(1);
    expect(slotAt(slots, line, 23, 28)).toBe(-1);
    expect(slotAt(slots, line, 0, 6)).toBe(-1);
  });

  it('refuses an alias of a key it does not have', () => {
    expect(() => keySlots(['a'], new Map([['b', 'c']]))).toThrow(/names no key/);
  });
});

describe('scanKeyValues', () => {
  const slots = keySlots(['srcip', 'msg', 'url', 'empty']);
  function scan(line: string): (string | undefined)[] | string {
    const out: (string | undefined)[] = [];
    const bad = scanKeyValues(line, 0, slots, out);
    return bad ?? out;
  }

  it('stores wanted bare and quoted values and skips the rest', () => {
    expect(scan('srcip=10.1.2.3 level="notice" msg="a b c" url=/x?y=1 empty=')).toEqual(['10.1.2.3', 'a b c', '/x?y=1', '']);
  });

  it('unescapes backslash escapes in quoted values', () => {
    expect(scan('msg="say \\"hi\\" \\\\ ok" srcip=1')).toEqual(['1', 'say "hi" \\ ok']);
  });

  it('does not take a longer or shorter key for a wanted one', () => {
    expect(scan('srcipx=1 srci=2 xsrcip=3')).toEqual([]);
  });

  it('reports text without =, unterminated and glued quotes', () => {
    expect(scan('srcip=1 junk msg=2')).toBe('malformed key=value pair: text without "="');
    expect(scan('=1')).toBe('malformed key=value pair: empty key');
    expect(scan('msg="abc')).toBe(UNTERMINATED_QUOTE);
    expect(scan('msg="a\\"')).toBe(UNTERMINATED_QUOTE);
    expect(scan('msg="a"b')).toBe(GLUED_QUOTE);
  });
});

describe('scanColonPairs', () => {
  const slots = keySlots(['action', 'src', 'resource']);
  function scan(line: string, bracketed = true): (string | undefined)[] | string {
    const out: (string | undefined)[] = [];
    const bad = scanColonPairs(line, 0, bracketed, slots, out);
    return bad ?? out;
  }

  it('reads quoted and bare values up to the closing bracket', () => {
    expect(scan('action:"Accept"; flags:"1"; src: 10.1.2.3; resource:"https://a/?q=1;x]"]')).toEqual([
      'Accept', '10.1.2.3', 'https://a/?q=1;x]',
    ]);
  });

  it('accepts a trailing ; and blanks before the colon', () => {
    expect(scan('action :"Drop";]')).toEqual(['Drop']);
  });

  it('reads to the end of the line when not bracketed', () => {
    expect(scan('action:"Accept"; src:"10.1.2.3"', false)).toEqual(['Accept', '10.1.2.3']);
  });

  it('reports a missing ], text without :, and malformed quotes', () => {
    expect(scan('action:"Accept"; src:"1"')).toBe('truncated line: no closing ] after the key:value pairs');
    expect(scan('action:"Accept"; junk; src:"1"]')).toBe('malformed key:value pair: text without ":"');
    expect(scan(':"x"]')).toBe('malformed key:value pair: empty key');
    expect(scan('action:"Accept]')).toBe(UNTERMINATED_QUOTE);
    expect(scan('action:"Acc"ept"]')).toBe(GLUED_QUOTE);
    expect(scan('action:"Accept"]', false)).toBe('malformed key:value pair: unexpected ]');
  });
});

describe('timestamps', () => {
  it('reads date-times with - or / and a blank or T, with any fraction', () => {
    expect(parseDateTime('2026-11-25 10:00:00', undefined)).toBe(Date.UTC(2026, 10, 25, 10));
    expect(parseDateTime('2026/11/25 10:00:00', undefined)).toBe(Date.UTC(2026, 10, 25, 10));
    expect(parseDateTime('2026-11-25T10:00:00.5', undefined)).toBe(Date.UTC(2026, 10, 25, 10, 0, 0, 500));
    expect(parseDateTime('2026-11-25T10:00:00.123456789Z', undefined)).toBe(Date.UTC(2026, 10, 25, 10, 0, 0, 123));
  });

  it('applies an offset in any of its spellings', () => {
    const utc = Date.UTC(2026, 10, 25, 9);
    for (const s of ['2026-11-25T10:00:00+01:00', '2026-11-25T10:00:00+0100', '2026-11-25T10:00:00+01',
      '2026-11-25 10:00:00 +0100', '2026-11-25T04:00:00-05:00']) {
      expect(parseDateTime(s, 'Asia/Tokyo'), s).toBe(utc);
    }
    expect(parseDateTime('2026-11-25T09:00:00Z', 'Asia/Tokyo')).toBe(utc);
  });

  it('reads offset-less times in the given zone, across DST', () => {
    expect(parseDateTime('2026-11-25 10:00:00', 'Europe/Berlin')).toBe(Date.UTC(2026, 10, 25, 9));
    expect(parseDateTime('2026-07-01 10:00:00', 'Europe/Berlin')).toBe(Date.UTC(2026, 6, 1, 8));
    expect(wallClockMillis('America/New_York', 2026, 10, 25, 10, 0, 0, 0)).toBe(Date.UTC(2026, 10, 25, 15));
  });

  it('rejects malformed or out-of-range date-times', () => {
    for (const s of ['2026-11-25', '2026-11-25 10:00', '2026-13-01 00:00:00', '2026-02-30 00:00:00',
      '2026-11-25 24:00:00', '2026-11-25_10:00:00', '2026-11/25 10:00:00', '2026-11-25 10:00:00.', '2026-11-25 10:00:00X',
      '2026-11-25 10:00:00+2500', '2026-11-25 10:00:00+01:7', 'abcd-ef-gh ij:kl:mn']) {
      expect(parseDateTime(s, undefined), s).toBeUndefined();
    }
  });

  it('tells epoch units by digit count', () => {
    const ms = Date.UTC(2026, 10, 25, 10, 0, 0, 123);
    expect(parseEpochAuto('1795600800')).toBe(ms - 123);
    expect(parseEpochAuto('1795600800.123')).toBe(ms);
    expect(parseEpochAuto('1795600800123')).toBe(ms);
    expect(parseEpochAuto('1795600800123456')).toBe(ms);
    expect(parseEpochAuto('1795600800123456789')).toBe(ms);
    for (const s of ['', '17956008001', '12345678901234', '-1795600800', '1e9', '0x10']) {
      expect(parseEpochAuto(s), s).toBeUndefined();
    }
  });

  it('parses UTC offsets and refuses others', () => {
    expect(parseUtcOffset('+0100')).toBe(60);
    expect(parseUtcOffset('-05:30')).toBe(-330);
    expect(parseUtcOffset('+09')).toBe(540);
    for (const s of ['0100', '+1', '+01:0', '+2400', '+0160', 'Z', '']) expect(parseUtcOffset(s), s).toBeUndefined();
  });

  it('resolves UTC to no conversion and refuses unknown zones when the parser is made', () => {
    expect(resolveTimeZone(undefined)).toBeUndefined();
    expect(resolveTimeZone('UTC')).toBeUndefined();
    expect(resolveTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(() => resolveTimeZone('Mars/Olympus')).toThrow(RangeError);
  });
});

describe('small field helpers', () => {
  it('maps empty and - to null', () => {
    expect(textOrNull('')).toBeNull();
    expect(textOrNull('-')).toBeNull();
    expect(textOrNull(undefined)).toBeNull();
    expect(textOrNull('x')).toBe('x');
  });

  it('parses ports 1-65535, maps no port to null and rejects the rest', () => {
    expect(parsePortField('443')).toBe(443);
    expect(parsePortField('0')).toBeNull();
    expect(parsePortField('')).toBeNull();
    expect(parsePortField('-')).toBeNull();
    for (const s of ['65536', '-1', 'https', '4 43', '123456']) expect(parsePortField(s), s).toBeUndefined();
  });
});

describe('robustness', () => {
  const kv = keySlots(['a', 'b']);
  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.nat(5), (s, start) => {
      const out: (string | undefined)[] = [];
      const csv = splitCsv(s, Math.min(start, s.length), ',');
      expect(typeof csv === 'string' || Array.isArray(csv)).toBe(true);
      const r1 = scanKeyValues(s, 0, kv, out);
      const r2 = scanColonPairs(s, 0, true, kv, out);
      for (const r of [r1, r2]) expect(r === undefined || (typeof r === 'string' && r.length > 0)).toBe(true);
      parseDateTime(s, undefined);
      parseEpochAuto(s);
    }));
  });
});
