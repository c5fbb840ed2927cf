import { describe, expect, it } from 'vitest';
import { parseSyslog } from './syslog-header.ts';

const now = new Date('2026-11-25T12:00:00.000Z');
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe('parseSyslog', () => {
  it('reads an RFC 5424 header and keeps structured data in the payload', () => {
    const m = parseSyslog('<134>1 2026-11-25T10:00:01.250Z fw01 CheckPoint 9876 - [action:"Accept"; src:"10.1.2.3"]', now)!;
    expect(m).toMatchObject({ pri: 134, hostname: 'fw01', app: 'CheckPoint', payload: '[action:"Accept"; src:"10.1.2.3"]' });
    expect(iso(m.time)).toBe('2026-11-25T10:00:01.250Z');
    const cef = parseSyslog('<14>1 2026-11-25T11:00:00+01:00 proxy1 app - - - \ufeffCEF:0|V|P|1|100|n|3|src=10.0.0.1', now)!;
    expect(cef.payload).toBe('CEF:0|V|P|1|100|n|3|src=10.0.0.1');
    expect(iso(cef.time)).toBe('2026-11-25T10:00:00.000Z');
  });

  it('reads an RFC 3164 header with hostname and tag, in the configured zone', () => {
    const m = parseSyslog('<30>Nov 25 10:00:00 ns1 named[1234]: client 10.1.2.3#53 (a.example): query: a.example IN A + (10.0.0.53)', now, 'Europe/Berlin')!;
    expect(m).toMatchObject({ pri: 30, hostname: 'ns1', app: 'named' });
    expect(m.payload).toBe('client 10.1.2.3#53 (a.example): query: a.example IN A + (10.0.0.53)');
    expect(iso(m.time)).toBe('2026-11-25T09:00:00.000Z');
    expect(iso(parseSyslog('<30>Nov  5 10:00:00 ns1 named: x', now)!.time)).toBe('2026-11-05T10:00:00.000Z');
  });

  it('puts a December line read in January into the previous year', () => {
    const m = parseSyslog('<30>Dec 31 23:59:00 host app: x', new Date('2027-01-01T00:10:00Z'))!;
    expect(iso(m.time)).toBe('2026-12-31T23:59:00.000Z');
  });

  it('passes a device line that has only a PRI through as the payload', () => {
    const m = parseSyslog('<189>date=2026-11-25 time=10:00:00 devname="fg1" type="utm" subtype="webfilter"', now)!;
    expect(m).toEqual({ pri: 189, time: null, hostname: null, app: null, payload: 'date=2026-11-25 time=10:00:00 devname="fg1" type="utm" subtype="webfilter"' });
  });

  it('rejects messages without a valid PRI', () => {
    for (const bad of ['', 'no pri', '<>x', '<999>x', '<1a>x', '<12345>x']) expect(parseSyslog(bad, now), bad).toBeNull();
  });
});
