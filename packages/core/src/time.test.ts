import { describe, expect, it } from 'vitest';
import { isoInstant, toClickHouseTime } from './time.ts';

describe('times for the store', () => {
  it('writes UTC with milliseconds as ClickHouse DateTime64(3) text, converting other ISO forms to UTC', () => {
    expect(toClickHouseTime('2026-11-25T10:00:00.123Z')).toBe('2026-11-25 10:00:00.123');
    expect(toClickHouseTime('2026-11-25T10:00:00+02:00')).toBe('2026-11-25 08:00:00.000');
    expect(toClickHouseTime('2026-11-25T23:30:00.5-01:00')).toBe('2026-11-26 00:30:00.500');
    expect(() => toClickHouseTime('yesterday')).toThrow(RangeError);
  });

  it('takes API times with a zone, normalised to UTC, and refuses what the store cannot hold', () => {
    expect(isoInstant.parse('2026-04-02T09:10:27+15:17')).toBe('2026-04-01T17:53:27.000Z');
    expect(isoInstant.parse('2299-12-31T23:59:59Z')).toBe('2299-12-31T23:59:59.000Z');
    expect(isoInstant.safeParse('3522-04-02T09:10:27Z').success).toBe(false);
    expect(isoInstant.safeParse('1899-12-31T23:59:59Z').success).toBe(false);
    expect(isoInstant.safeParse('2026-11-25T10:00:00').success).toBe(false);
  });
});
