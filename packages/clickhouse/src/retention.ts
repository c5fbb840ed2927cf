import type { Logger } from '@shadow-ai/core';
import { targetOf, type MigrateTarget } from './migrate.ts';
import { queryRows } from './store.ts';

/** Tables and the date expression their TTL counts from. Raw events go first; aggregates live longer. */
const RAW = [{ table: 'events', column: 'toDateTime(ts)' }];
const AGGREGATES = [
  { table: 'usage_daily', column: 'day' },
  { table: 'activity_daily', column: 'day' },
  { table: 'signal_daily', column: 'day' },
];

/** The TTL clause of a table as ClickHouse reports it in engine_full (`… TTL day + toIntervalDay(400) SETTINGS …`). */
function ttlOf(engineFull: string): string | null {
  return /\bTTL (.+?)(?: SETTINGS |$)/.exec(engineFull)?.[1]?.trim() ?? null;
}

/**
 * Applies the configured retention as table TTLs (at every start, so a changed setting takes effect).
 * A TTL that is already as configured is left alone: no DDL at every restart, which on a cluster
 * would be an ON CLUSTER task queued through Keeper and waited for on every node.
 * Days are validated integers from the config schema, which is why they can be written into the DDL:
 * ClickHouse takes no bound parameters in a TTL clause.
 */
export async function applyRetention(target: MigrateTarget, days: { events: number; aggregates: number }, log?: Logger): Promise<void> {
  const { client, cluster } = targetOf(target);
  // On a cluster the data lives in the `_local` tables on every node; the Distributed tables hold none.
  const table = (name: string) => (cluster ? `${name}_local ON CLUSTER ${cluster}` : name);
  const names = [...RAW, ...AGGREGATES].map((t) => (cluster ? `${t.table}_local` : t.table));
  const current = new Map(
    (
      await queryRows<{ name: string; engine_full: string }>(
        client,
        'SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND name IN {names:Array(String)}',
        { names },
      )
    ).map((r) => [r.name.replace(/_local$/, ''), ttlOf(r.engine_full)]),
  );
  let changed = 0;
  for (const [targets, n] of [
    [RAW, days.events],
    [AGGREGATES, days.aggregates],
  ] as const) {
    if (!Number.isInteger(n) || n < 0) throw new Error(`retention days must be a whole number >= 0, got ${n}`);
    for (const t of targets) {
      const ttl = current.get(t.table);
      if (n === 0 ? ttl === null : ttl === `${t.column} + toIntervalDay(${n})`) continue;
      changed++;
      const query = n === 0 ? `ALTER TABLE ${table(t.table)} REMOVE TTL` : `ALTER TABLE ${table(t.table)} MODIFY TTL ${t.column} + INTERVAL ${n} DAY`;
      try {
        await client.command({ query });
      } catch (err) {
        // REMOVE TTL on a table that has none is an error in ClickHouse; nothing to undo then.
        if (n !== 0) throw err;
      }
    }
  }
  log?.info({ eventsDays: days.events, aggregatesDays: days.aggregates, tablesChanged: changed }, 'retention applied');
}
