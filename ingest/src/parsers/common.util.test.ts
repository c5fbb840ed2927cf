import { emptyEvent, parsed, rejected, zonedTimeToUtc } from '@shadow-ai/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  actionFromWord, dnsRcodeFromText, dnsTypeFromText, epochNumberToMillis, hostAndPort, inferYear, parseIsoMillis,
  parsePortText, readFlowFields, wallInNamedZone, wallToUtc, zonedParserFactory, type FlowFieldRules,
} from './common.util.ts';

describe('wallToUtc', () => {
  it('agrees with zonedTimeToUtc for any wall time, including DST changes, despite its per-zone memo', () => {
    const zones = ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/St_Johns'];
    fc.assert(fc.property(
      fc.constantFrom(...zones), fc.integer({ min: 2025, max: 2027 }), fc.integer({ min: 0, max: 11 }),
      fc.integer({ min: 1, max: 28 }), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }),
      fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 999 }),
      (zone, y, m0, d, h, mi, s, ms) => {
        expect(wallToUtc(zone, y, m0, d, h, mi, s, ms)).toBe(zonedTimeToUtc(zone, y, m0 + 1, d, h, mi, s, ms));
      },
    ), { numRuns: 3000 });
  });

  it('agrees minute by minute across the 2026 spring and autumn changes in Berlin and New York', () => {
    for (const [zone, month0, day] of [['Europe/Berlin', 2, 29], ['Europe/Berlin', 9, 25], ['America/New_York', 2, 8],
      ['America/New_York', 10, 1]] as const) {
      for (let minute = 0; minute < 5 * 60; minute++) {
        const h = Math.floor(minute / 60);
        const mi = minute % 60;
        expect(wallToUtc(zone, 2026, month0, day, h, mi, 30, 0), `${zone} ${h}:${mi}`)
          .toBe(zonedTimeToUtc(zone, 2026, month0 + 1, day, h, mi, 30, 0));
      }
    }
  });

  it('rejects impossible dates instead of rolling them over', () => {
    expect(wallToUtc('UTC', 2026, 1, 30, 0, 0, 0, 0)).toBeUndefined();
    expect(wallToUtc('Europe/Berlin', 2026, 10, 25, 24, 0, 0, 0)).toBeUndefined();
  });
});

describe('time helpers', () => {
  it('infers the year of a year-less date from receivedAt, across New Year both ways', () => {
    expect(inferYear(11, new Date('2027-01-01T00:05:00Z'))).toBe(2026);
    expect(inferYear(0, new Date('2026-12-31T23:55:00Z'))).toBe(2027);
    expect(inferYear(10, new Date('2026-11-25T00:00:00Z'))).toBe(2026);
    expect(inferYear(10, new Date(Number.NaN))).toBeUndefined();
    // detectFormat passes the epoch as receivedAt: a December line must still get a valid year.
    expect(inferYear(11, new Date(0))).toBe(1970);
  });

  it('reads ISO 8601 with and without offsets and fractions', () => {
    expect(parseIsoMillis('2026-11-25T10:00:00Z', 'UTC')).toBe(Date.UTC(2026, 10, 25, 10));
    expect(parseIsoMillis('2026-11-25 11:00:00.5+01:00', 'UTC')).toBe(Date.UTC(2026, 10, 25, 10, 0, 0, 500));
    expect(parseIsoMillis('2026-11-25T11:00:00.123456789', 'Europe/Berlin')).toBe(Date.UTC(2026, 10, 25, 10, 0, 0, 123));
    expect(parseIsoMillis('2026-11-25T10:00:00+0530', 'UTC')).toBe(Date.UTC(2026, 10, 25, 4, 30));
    expect(parseIsoMillis('2026-13-25T10:00:00Z', 'UTC')).toBeUndefined();
    expect(parseIsoMillis('2026-11-25T10:00:00+25:00', 'UTC')).toBeUndefined();
  });

  it('reads epoch numbers by magnitude without float drift', () => {
    expect(epochNumberToMillis(1795600800.123)).toBe(1795600800123);
    expect(epochNumberToMillis(1795600800123)).toBe(1795600800123);
    expect(epochNumberToMillis(1795600800123456)).toBe(1795600800123);
    expect(epochNumberToMillis(-1)).toBeUndefined();
    expect(epochNumberToMillis(Number.NaN)).toBeUndefined();
  });

  it('applies written zones, refusing ambiguous abbreviations', () => {
    expect(wallInNamedZone('GMT+01:00', 2026, 10, 25, 11, 0, 0, 0)).toBe(Date.UTC(2026, 10, 25, 10));
    expect(wallInNamedZone('UTC-5', 2026, 10, 25, 5, 0, 0, 0)).toBe(Date.UTC(2026, 10, 25, 10));
    expect(wallInNamedZone('CST', 2026, 10, 25, 5, 0, 0, 0)).toBeUndefined();
    expect(wallInNamedZone('Not/AZone', 2026, 10, 25, 5, 0, 0, 0)).toBeUndefined();
  });
});

describe('value helpers', () => {
  it('classifies action words', () => {
    expect(actionFromWord('Block-URL')).toBe('blocked');
    expect(actionFromWord('permitted')).toBe('allowed');
    expect(actionFromWord('not allowed')).toBeNull();
    expect(actionFromWord('observe')).toBeNull();
  });

  it('reads DNS types and rcodes in their written forms', () => {
    expect(['A', 'aaaa', '65', 'type=64', 'query-28', '*', 'TYPE999'].map(dnsTypeFromText))
      .toEqual(['A', 'AAAA', 'HTTPS', 'SVCB', 'AAAA', 'ANY', 'TYPE999']);
    expect(dnsTypeFromText('??')).toBeUndefined();
    expect(['nxdomain', '2', 'NOTIMPL', 'RCODE22'].map(dnsRcodeFromText)).toEqual(['NXDOMAIN', 'SERVFAIL', 'NOTIMPL', 'RCODE22']);
    expect(dnsRcodeFromText('LOTS')).toBeUndefined();
  });

  it('reads hosts from names, IPs, host:port and URLs', () => {
    expect(hostAndPort('ChatGPT.com.')).toEqual({ host: 'chatgpt.com', port: null });
    expect(hostAndPort('[2001:db8::1]:8443')).toEqual({ host: '2001:db8::1', port: 8443 });
    expect(hostAndPort('https://user@API.openai.com/v1')).toEqual({ host: 'api.openai.com', port: null });
    expect(hostAndPort('not a host')).toBeUndefined();
  });
});

describe('zonedParserFactory', () => {
  it('resolves the zone once per parser and releases the scratch after every line, even one that throws', () => {
    const zones: string[] = [];
    let released = 0;
    const factory = zonedParserFactory(
      (opts) => {
        const zone = opts?.timeZone ?? 'UTC';
        zones.push(zone);
        return zone;
      },
      (line, _ctx, zone) => {
        if (line === 'boom') throw new Error('bug');
        return line === '' ? rejected('empty line') : parsed(emptyEvent('flow', 'test', zone));
      },
      () => released++,
    );
    const parse = factory({ timeZone: 'Europe/Berlin' });
    const ctx = { receivedAt: new Date(0) };
    expect(parse('a', ctx)).toMatchObject({ ok: true, event: { ts: 'Europe/Berlin' } });
    expect(parse('', ctx)).toMatchObject({ ok: false, reason: 'empty line' });
    expect(() => parse('boom', ctx)).toThrow('bug');
    expect(zones).toEqual(['Europe/Berlin']);
    expect(released).toBe(3);
  });
});

describe('readFlowFields', () => {
  const rules: FlowFieldRules = {
    port: parsePortText, badSrc: 'bad src', badDst: 'bad dst', badPort: 'bad port', badBytesOut: 'bad out',
    badBytesIn: 'bad in',
  };
  const fresh = () => emptyEvent('flow', 'test', '2026-11-25T10:00:00.000Z');

  it('writes the fields it is given and null for absent ones', () => {
    const event = fresh();
    expect(readFlowFields(event, rules, '10.0.0.1', '2001:db8::1', '443', '12', '0')).toBeUndefined();
    expect(event).toMatchObject({ srcIp: '10.0.0.1', destIp: '2001:db8::1', destPort: 443, bytesOut: 12, bytesIn: 0 });
    const bare = fresh();
    expect(readFlowFields(bare, rules, undefined, null, undefined, null, undefined)).toBeUndefined();
    expect(bare).toMatchObject({ srcIp: null, destIp: null, destPort: null, bytesOut: null, bytesIn: null });
  });

  it('names the first malformed field: addresses, then the port, then the byte counts', () => {
    expect(readFlowFields(fresh(), rules, 'fw01', 'x', 'http', '-1', 'lots')).toBe('bad src');
    expect(readFlowFields(fresh(), rules, '10.0.0.1', '10.0.0.256', 'http', '-1', 'lots')).toBe('bad dst');
    expect(readFlowFields(fresh(), rules, null, null, '0', '-1', 'lots')).toBe('bad port');
    expect(readFlowFields(fresh(), rules, null, null, '65536', null, null)).toBe('bad port');
    expect(readFlowFields(fresh(), rules, null, null, null, '1.5', 'lots')).toBe('bad out');
    expect(readFlowFields(fresh(), rules, null, null, null, '-', 'lots')).toBe('bad in');
    expect(readFlowFields(fresh(), { ...rules, bytesInFirst: true }, null, null, null, '1.5', 'lots')).toBe('bad in');
  });

  it("uses the parser's port grammar, which may read some ports as none", () => {
    const loose: FlowFieldRules = { ...rules, port: (s) => (s === '-' || s === '0' ? null : parsePortText(s)) };
    const event = fresh();
    expect(readFlowFields(event, loose, null, null, '0', null, null)).toBeUndefined();
    expect(event.destPort).toBeNull();
  });
});
