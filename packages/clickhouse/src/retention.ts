import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '@shadow-ai/core';

/** Tables and the date expression their TTL counts from. Raw events go first; aggregates live longer. */
const RAW = [{ table: 'events', column: 'toDateTime(ts)' }];
const AGGREGATES = [
  { table: 'usage_daily', column: 'day' },
  { table: 'activity_daily', column: 'day' },
  { table: 'signal_daily', column: 'day' },
];

/**
 * Applies the configured retention as table TTLs (at every start, so a changed setting takes effect).
 * Days are validated integers from the config schema, which is why they can be written into the DDL:
 * ClickHouse takes no bound parameters in a TTL clause.
 */
export async function applyRetention(client: ClickHouseClient, days: { events: number; aggregates: number }, log?: Logger): Promise<void> {
  for (const [targets, n] of [
    [RAW, days.events],
    [AGGREGATES, days.aggregates],
  ] as const) {
    if (!Number.isInteger(n) || n < 0) throw new Error(`retention days must be a whole number >= 0, got ${n}`);
    for (const t of targets) {
      const query = n === 0 ? `ALTER TABLE ${t.table} REMOVE TTL` : `ALTER TABLE ${t.table} MODIFY TTL ${t.column} + INTERVAL ${n} DAY`;
      try {
        await client.command({ query });
      } catch (err) {
        // REMOVE TTL on a table that has none is an error in ClickHouse; nothing to undo then.
        if (n !== 0) throw err;
      }
    }
  }
  log?.info({ eventsDays: days.events, aggregatesDays: days.aggregates }, 'retention applied');
}
