import { describe, expect, it } from 'vitest';
import { isValidTimeZone, zonedTimeToUtc } from './time-zone.ts';

const iso = (ms: number) => new Date(ms).toISOString();

describe('zonedTimeToUtc', () => {
  it('leaves UTC and an absent zone unchanged', () => {
    expect(iso(zonedTimeToUtc(undefined, 2026, 11, 25, 10, 5, 0, 123))).toBe('2026-11-25T10:05:00.123Z');
    expect(iso(zonedTimeToUtc('UTC', 2026, 11, 25, 10, 5, 0))).toBe('2026-11-25T10:05:00.000Z');
  });

  it('applies the zone offset in winter and summer', () => {
    expect(iso(zonedTimeToUtc('Europe/Berlin', 2026, 11, 25, 10, 5, 0))).toBe('2026-11-25T09:05:00.000Z');
    expect(iso(zonedTimeToUtc('Europe/Berlin', 2026, 7, 1, 10, 5, 0))).toBe('2026-07-01T08:05:00.000Z');
    expect(iso(zonedTimeToUtc('America/New_York', 2026, 11, 25, 10, 5, 0))).toBe('2026-11-25T15:05:00.000Z');
    expect(iso(zonedTimeToUtc('Asia/Kolkata', 2026, 11, 25, 10, 5, 0))).toBe('2026-11-25T04:35:00.000Z');
  });

  it('picks the earlier instant in the repeated hour of a DST change', () => {
    // 2026-10-25 02:30 happens twice in Berlin (CEST then CET).
    expect(iso(zonedTimeToUtc('Europe/Berlin', 2026, 10, 25, 2, 30, 0))).toBe('2026-10-25T00:30:00.000Z');
  });

  it('validates zone names', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });
});
