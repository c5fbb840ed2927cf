import type { Logger } from '@shadow-ai/core';
import { targetOf, type MigrateTarget } from './migrate.ts';

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
export async function applyRetention(target: MigrateTarget, days: { events: number; aggregates: number }, log?: Logger): Promise<void> {
  const { client, cluster } = targetOf(target);
  // On a cluster the data lives in the `_local` tables on every node; the Distributed tables hold none.
  const table = (name: string) => (cluster ? `${name}_local ON CLUSTER ${cluster}` : name);
  for (const [targets, n] of [
    [RAW, days.events],
    [AGGREGATES, days.aggregates],
  ] as const) {
    if (!Number.isInteger(n) || n < 0) throw new Error(`retention days must be a whole number >= 0, got ${n}`);
    for (const t of targets) {
      const query = n === 0 ? `ALTER TABLE ${table(t.table)} REMOVE TTL` : `ALTER TABLE ${table(t.table)} MODIFY TTL ${t.column} + INTERVAL ${n} DAY`;
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
