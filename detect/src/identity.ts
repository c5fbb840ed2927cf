import type { ClickHouseClient } from '@clickhouse/client';
import { pollTableChanges, queryRows, tableChangeMarker } from '@shadow-ai/clickhouse';
import { fromClickHouseTime, leaseSchema, toClickHouseTime, type Logger, type NormalizedEvent } from '@shadow-ai/core';

export { leaseSchema, type LeaseInput } from '@shadow-ai/core';
import type { LeaseInput } from '@shadow-ai/core';
import { z } from 'zod';

export type UserFormat = 'short' | 'as-logged';

/**
 * One canonical form per person: with `short`, `CORP\alice`, `alice@corp.example` and `Alice` are all
 * `alice` (domain dropped, lowercased), so usage is not split across the forms different logs use.
 */
export function normalizeUser(raw: string | null, format: UserFormat): string | null {
  if (raw === null) return null;
  let u = raw.trim();
  if (u === '' || u === '-') return null;
  if (format === 'as-logged') return u;
  const slash = u.lastIndexOf('\\');
  if (slash !== -1) u = u.slice(slash + 1);
  const at = u.indexOf('@');
  if (at > 0) u = u.slice(0, at);
  u = u.toLowerCase();
  return u === '' ? null : u;
}

interface Lease {
  user: string;
  from: number;
  to: number;
}

/**
 * IP → user by time. Leases per address are kept sorted by start; the lease that covers an instant is
 * the latest one that started at or before it and has not ended, so a new lease (bob from 11:00)
 * takes over from an open-ended earlier one (alice's logon at 10:00).
 */
export class IdentityMap {
  private readonly byIp = new Map<string, Lease[]>();
  private lastChange = '';
  private stopPolling: () => void = () => undefined;

  constructor(private readonly deps: { client: ClickHouseClient; log: Logger; userFormat: UserFormat; defaultTtlMs: number }) {}

  get size(): number {
    let n = 0;
    for (const l of this.byIp.values()) n += l.length;
    return n;
  }

  lookup(ip: string, atMs: number): string | null {
    const leases = this.byIp.get(ip);
    if (!leases) return null;
    // Binary search: the last lease starting at or before atMs.
    let lo = 0;
    let hi = leases.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (leases[mid]!.from <= atMs) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    for (let i = found; i >= 0 && i > found - 8; i--) {
      const l = leases[i]!;
      if (atMs < l.to) return l.user;
    }
    return null;
  }

  /** Fills `user` from the lease of `srcIp` at the event time, and normalises whatever user it has. */
  enrich(event: NormalizedEvent): NormalizedEvent {
    const user = normalizeUser(event.user, this.deps.userFormat);
    if (user !== null) return user === event.user ? event : { ...event, user };
    if (event.srcIp === null || this.byIp.size === 0) return event;
    const leased = this.lookup(event.srcIp, Date.parse(event.ts));
    return leased === null ? event : { ...event, user: leased };
  }

  /** Validates, stores and applies leases; returns how many. Throws a zod error listing bad entries. */
  async add(inputs: unknown[]): Promise<number> {
    const leases = z.array(leaseSchema).max(100_000).parse(inputs);
    if (leases.length === 0) return 0;
    const now = toClickHouseTime(new Date().toISOString());
    await this.deps.client.insert({
      table: 'identity_leases',
      format: 'JSONEachRow',
      values: leases.map((l) => {
        const from = Date.parse(l.from);
        const to = l.to ? Date.parse(l.to) : from + this.deps.defaultTtlMs;
        return {
          ip: l.ip,
          user: normalizeUser(l.user, this.deps.userFormat) ?? l.user,
          valid_from: toClickHouseTime(new Date(from).toISOString()),
          valid_to: toClickHouseTime(new Date(to).toISOString()),
          source: l.source,
          updated_at: now,
        };
      }),
    });
    await this.load();
    return leases.length;
  }

  async load(): Promise<void> {
    const rows = await queryRows<{ ip: string; user: string; valid_from: string; valid_to: string }>(
      this.deps.client,
      'SELECT ip, user, valid_from, valid_to FROM identity_leases FINAL ORDER BY ip, valid_from',
    );
    this.byIp.clear();
    for (const r of rows) {
      const list = this.byIp.get(r.ip) ?? [];
      list.push({ user: r.user, from: Date.parse(fromClickHouseTime(r.valid_from)), to: Date.parse(fromClickHouseTime(r.valid_to)) });
      this.byIp.set(r.ip, list);
    }
    this.lastChange = await tableChangeMarker(this.deps.client, 'identity_leases');
  }

  /** Picks up leases other processes stored. */
  startPolling(intervalMs: number): void {
    this.stopPolling = pollTableChanges({
      client: this.deps.client,
      table: 'identity_leases',
      intervalMs,
      current: () => this.lastChange,
      reload: () => this.load(),
      log: this.deps.log,
    });
  }

  stop(): void {
    this.stopPolling();
  }

}

/** Parses `ip,user,from[,to[,source]]` CSV (header line optional) into lease inputs. */
export function parseLeaseCsv(text: string): { leases: LeaseInput[]; errors: string[] } {
  const leases: LeaseInput[] = [];
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '' || (i === 0 && /^ip\s*,/i.test(t))) return;
    const [ip, user, from, to, source] = t.split(',').map((c) => c.trim());
    if (!ip || !user || !from) {
      errors.push(`line ${i + 1}: expected ip,user,from[,to[,source]]`);
      return;
    }
    leases.push({ ip, user, from, ...(to ? { to } : {}), ...(source ? { source } : {}) });
  });
  return { leases, errors };
}
