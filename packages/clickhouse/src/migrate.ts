import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '@shadow-ai/core';
import { queryRows, type Store } from './store.ts';
import { clusterMigrations } from './cluster.ts';

/** A client (single node), or a store, whose `cluster` selects the cluster schema. */
export type MigrateTarget = ClickHouseClient | Pick<Store, 'client' | 'cluster'>;

export function targetOf(target: MigrateTarget): { client: ClickHouseClient; cluster: string | undefined } {
  return 'command' in target ? { client: target, cluster: undefined } : { client: target.client, cluster: target.cluster };
}

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

/** Numbered SQL files (`0003_findings.sql`), statements separated by `;` at the end of a line. */
export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      const statements = sql
        .split(/;\s*$/m)
        .map((s) => s.split('\n').filter((l) => !l.trim().startsWith('--')).join('\n').trim())
        .filter((s) => s.length > 0);
      return { version: Number(file.slice(0, 4)), name: file.replace(/\.sql$/, ''), statements };
    });
}

/**
 * Applies the migrations not yet recorded in schema_migrations. Each statement is idempotent
 * (IF NOT EXISTS), so a crash between a statement and its record only repeats harmless work.
 * On a cluster the generated cluster variant runs ON CLUSTER, and schema_migrations is one table
 * replicated to every node, so services talking to different nodes agree on what was applied.
 */
export async function migrate(target: MigrateTarget, log?: Logger, dir?: string): Promise<number[]> {
  const { client, cluster } = targetOf(target);
  await client.command({
    query: cluster
      ? `CREATE TABLE IF NOT EXISTS schema_migrations ON CLUSTER ${cluster}
            (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
            ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{database}/schema_migrations', '{replica}') ORDER BY version`
      : `CREATE TABLE IF NOT EXISTS schema_migrations
            (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
            ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const done = new Set(
    (await queryRows<{ version: number }>(client, 'SELECT version FROM schema_migrations FINAL')).map((r) => Number(r.version)),
  );
  const applied: number[] = [];
  const migrations = cluster ? clusterMigrations(readMigrations(dir), { cluster }) : readMigrations(dir);
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    for (const query of m.statements) await client.command({ query });
    await client.insert({ table: 'schema_migrations', values: [{ version: m.version, name: m.name }], format: 'JSONEachRow' });
    log?.info({ migration: m.name }, 'migration applied');
    applied.push(m.version);
  }
  return applied;
}
