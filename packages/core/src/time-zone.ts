/**
 * Converts a wall-clock time in an IANA time zone to UTC milliseconds, for log formats whose timestamps
 * carry no offset. Uses Intl (no tz database of our own); offsets are cached per zone and hour, so the
 * hot path is one Map lookup per line.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
const offsetCache = new Map<string, number>();

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Offset of `zone` from UTC at the UTC instant `utcMs`, in ms (positive east of Greenwich). */
function offsetAt(zone: string, utcMs: number): number {
  const key = `${zone}|${Math.floor(utcMs / 3_600_000)}`;
  const cached = offsetCache.get(key);
  if (cached !== undefined) return cached;
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(utcMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  const offset = asUtc - Math.floor(utcMs / 1000) * 1000;
  if (offsetCache.size > 100_000) offsetCache.clear();
  offsetCache.set(key, offset);
  return offset;
}

/**
 * UTC ms for a wall-clock time in `zone` (`UTC`/undefined: no conversion). In the hour a DST change
 * repeats, the earlier instant is chosen; a time skipped by DST is shifted forward by the gap.
 */
export function zonedTimeToUtc(
  zone: string | undefined,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms = 0,
): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (!zone || zone === 'UTC' || zone === 'Etc/UTC') return wall;
  // The offsets a few hours either side give the (at most two) candidate instants; keep those that
  // really show this wall time, earliest first. Neither does when the wall time falls in a DST gap.
  const before = wall - offsetAt(zone, wall - 3 * 3_600_000);
  const after = wall - offsetAt(zone, wall + 3 * 3_600_000);
  const valid = [before, after].filter((c) => c + offsetAt(zone, c) === wall).sort((a, b) => a - b);
  return valid[0] ?? before;
}

/** A wall-clock time read as if it were UTC (`Date.UTC(...)` of the fields) → the real UTC instant in `zone`. */
export function wallClockToUtc(zone: string | undefined, wallMs: number): number {
  if (!zone || zone === 'UTC' || zone === 'Etc/UTC') return wallMs;
  const d = new Date(wallMs);
  return zonedTimeToUtc(zone, d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}
