/** ISO-8601 UTC with milliseconds, the one timestamp form the event contract allows. */
export function isoMillis(ms: number): string {
  return new Date(ms).toISOString();
}

/** `2026-11-25T10:00:00.123Z` → `2026-11-25 10:00:00.123`, the form ClickHouse DateTime64(3) accepts. */
export function toClickHouseTime(iso: string): string {
  return iso.slice(0, 23).replace('T', ' ');
}

/** `2026-11-25 10:00:00.123` (UTC, as stored) → ISO-8601. */
export function fromClickHouseTime(value: string): string {
  return value.replace(' ', 'T') + (value.length === 19 ? '.000Z' : 'Z');
}
