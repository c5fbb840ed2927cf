import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '@shadow-ai/core';
import { queryRows } from './store.ts';

/**
 * A cheap "has this table changed" marker for tables whose rows carry `updated_at`: the row count and the
 * newest `updated_at`. State other processes write (custom apps, leases) is reloaded when it moves.
 */
export async function tableChangeMarker(client: ClickHouseClient, table: string): Promise<string> {
  const rows = await queryRows<{ n: number | string; m: string }>(
    client,
    'SELECT count() AS n, toString(max(updated_at)) AS m FROM {table:Identifier}',
    { table },
  );
  return `${rows[0]?.n ?? 0}/${rows[0]?.m ?? ''}`;
}

/** Calls `reload` whenever the table's marker differs from `current()`; returns a stop function. */
export function pollTableChanges(opts: {
  client: ClickHouseClient;
  table: string;
  intervalMs: number;
  current: () => string;
  reload: () => Promise<void>;
  log: Logger;
}): () => void {
  const timer = setInterval(() => {
    void tableChangeMarker(opts.client, opts.table)
      .then((marker) => (marker !== opts.current() ? opts.reload() : undefined))
      .catch((err: unknown) => opts.log.warn({ err, table: opts.table }, 'reload after a change failed'));
  }, opts.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
