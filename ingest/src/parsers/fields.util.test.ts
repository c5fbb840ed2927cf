import fc from 'fast-check';
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  ipVersion, isoTimestamp, normalizeHostname, parseByteCount, parseEpochSeconds, parseHttpStatus, urlTarget, utcMillis,
} from './fields.util.ts';

describe('ipVersion', () => {
  it('agrees with net.isIP on addresses, near-addresses and arbitrary text', () => {
    for (const s of ['10.0.0.1', '0.0.0.0', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', '1.2.3.4 ',
      '1..2.3', '1.2.3.04', '1.2.3.0', '::1', '2001:db8::1', 'fe80::1%eth0', '::ffff:10.0.0.1', '', '1.2.3.4:80', 'a.b.c.d']) {
      expect(ipVersion(s), s).toBe(isIP(s));
    }
    const octet = fc.oneof(fc.nat(300).map(String), fc.stringMatching(/^[0-9]{1,4}$/));
    const dotted = fc.array(octet, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.'));
    fc.assert(fc.property(fc.oneof(dotted, fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 20 })), (s) => {
      expect(ipVersion(s)).toBe(isIP(s));
    }), { numRuns: 2000 });
  });
});

describe('isoTimestamp', () => {
  it('matches toISOString for times seconds and minutes apart, in any order', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 253402300799999 }), { maxLength: 20 }), fc.nat(600_000),
      (starts, step) => {
        for (const start of starts) {
          for (const ms of [start, start + step, start + 2 * step, start - step]) {
            if (ms >= 0) expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
          }
        }
      }));
  });

  it('matches toISOString across second boundaries, in and out of order', () => {
    const base = Date.UTC(2026, 10, 25, 10, 0, 0);
    for (const offset of [0, 1, 999, 1000, 1001, 0, 59_999, 60_000, 86_399_999, 86_400_000, 5, 123_456_789]) {
      expect(isoTimestamp(base + offset)).toBe(new Date(base + offset).toISOString());
    }
  });

  it('falls back to Date outside years 1970–9999', () => {
    for (const ms of [-1, -86_400_001, Date.UTC(10000, 0, 1), 8.64e15]) {
      expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
    }
  });
});

describe('utcMillis', () => {
  it('rejects out-of-range parts instead of rolling them over', () => {
    expect(utcMillis(2026, 1, 29, 0, 0, 0, 0)).toBeUndefined();
    expect(utcMillis(2024, 1, 29, 0, 0, 0, 0)).toBe(Date.UTC(2024, 1, 29));
    expect(utcMillis(2100, 1, 29, 0, 0, 0, 0)).toBeUndefined();
    expect(utcMillis(2000, 1, 29, 0, 0, 0, 0)).toBe(Date.UTC(2000, 1, 29));
    expect(utcMillis(2026, 3, 31, 0, 0, 0, 0)).toBeUndefined();
    expect(utcMillis(2026, 11, 31, 23, 59, 59, 999)).toBe(Date.UTC(2026, 11, 31, 23, 59, 59, 999));
    expect(utcMillis(2026, 12, 1, 0, 0, 0, 0)).toBeUndefined();
    expect(utcMillis(2026, 0, 1, 0, 0, 0, 1000)).toBeUndefined();
  });
});

describe('parseEpochSeconds', () => {
  it('reads seconds with 0–9 fraction digits exactly', () => {
    expect(parseEpochSeconds('1795600800.123')).toBe(1795600800123);
    expect(parseEpochSeconds('1795600800.1')).toBe(1795600800100);
    expect(parseEpochSeconds('1795600800.999999999')).toBe(1795600800999);
    expect(parseEpochSeconds('0')).toBe(0);
  });

  it('rejects anything else', () => {
    for (const s of ['', '.', '1.', '.1', '-1', '+1', '1e3', '1.2.3', ' 1', '123456789012', 'NaN', 'Infinity']) {
      expect(parseEpochSeconds(s), s).toBeUndefined();
    }
  });
});

describe('numeric fields', () => {
  it('parses byte counts up to 15 digits and rejects the rest', () => {
    expect(parseByteCount('0')).toBe(0);
    expect(parseByteCount('999999999999999')).toBe(999_999_999_999_999);
    expect(parseByteCount('-')).toBeNull();
    for (const s of ['', '-1', '1.0', '0x10', '1000000000000000', ' 1']) expect(parseByteCount(s), s).toBeUndefined();
  });

  it('parses HTTP statuses, mapping no-reply values to null', () => {
    expect(parseHttpStatus('200')).toBe(200);
    expect(parseHttpStatus('999')).toBe(999);
    for (const s of ['-', '0', '00', '000']) expect(parseHttpStatus(s), s).toBeNull();
    for (const s of ['', '99', '1000', '2x0', '-200']) expect(parseHttpStatus(s), s).toBeUndefined();
  });
});

describe('normalizeHostname', () => {
  it('lowercases and removes one trailing dot', () => {
    expect(normalizeHostname('API.OpenAI.com.')).toBe('api.openai.com');
    expect(normalizeHostname('localhost')).toBe('localhost');
    expect(normalizeHostname('10.0.0.1')).toBe('10.0.0.1');
  });

  it('accepts 63-char labels and 253-char names, not more', () => {
    expect(normalizeHostname(`${'a'.repeat(63)}.com`)).not.toBeNull();
    expect(normalizeHostname(`${'a'.repeat(64)}.com`)).toBeNull();
    const name253 = `${'a'.repeat(61)}.`.repeat(4) + 'a'.repeat(5);
    expect(name253.length).toBe(253);
    expect(normalizeHostname(name253)).toBe(name253);
    expect(normalizeHostname(`${name253}a`)).toBeNull();
  });

  it('returns null for empty, root, double dots and foreign characters', () => {
    for (const s of ['', '.', '..', 'a..b', '.a', 'a.b..', 'a b', 'a/b', 'a:b', 'a*b', 'bücher.de', 'a\\032b']) {
      expect(normalizeHostname(s), s).toBeNull();
    }
  });
});

describe('urlTarget', () => {
  it('never returns a port without a host', () => {
    for (const url of ['http://:80/', ':443', 'http://@/', 'http://[::1]:99999/']) {
      expect(urlTarget(url), url).toEqual({ host: null, port: null });
    }
  });
});
