import { z } from 'zod';

/** ISO-8601 UTC with milliseconds, the one timestamp form the event contract allows. */
export function isoMillis(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * `2026-11-25T10:00:00.123Z` → `2026-11-25 10:00:00.123`, the form ClickHouse DateTime64(3) accepts (UTC).
 * Any other ISO-8601 form (an offset, no milliseconds) is converted to UTC first.
 */
export function toClickHouseTime(iso: string): string {
  // The hot path: event times are already UTC with milliseconds.
  if (iso.length === 24 && iso.charCodeAt(23) === 90 /* Z */) return iso.slice(0, 23).replace('T', ' ');
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO-8601 time: ${iso.slice(0, 40)}`);
  return new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
}

/** The range of ClickHouse's DateTime64: a time outside cannot be stored. */
export const STORABLE_YEARS = { min: 1900, max: 2299 } as const;

/**
 * An ISO-8601 time with a zone, as the API and the identity feeds take it, normalised to UTC with
 * milliseconds; refused (a validation error, so a 400) outside what the store can hold.
 */
export const isoInstant = z.iso
  .datetime({ offset: true })
  // States the range in the OpenAPI document too (as written; the check below is on the UTC year).
  .regex(/^(?:19|2[0-2])\d\d-/, { message: `must be between ${STORABLE_YEARS.min} and ${STORABLE_YEARS.max}`, abort: true })
  .meta({ format: 'date-time' })
  .refine((s) => {
    const year = new Date(s).getUTCFullYear();
    return year >= STORABLE_YEARS.min && year <= STORABLE_YEARS.max;
  }, `must be between ${STORABLE_YEARS.min} and ${STORABLE_YEARS.max}`)
  .transform((s) => new Date(s).toISOString());

/** `2026-11-25 10:00:00.123` (UTC, as stored) → ISO-8601. */
export function fromClickHouseTime(value: string): string {
  return value.replace(' ', 'T') + (value.length === 19 ? '.000Z' : 'Z');
}
