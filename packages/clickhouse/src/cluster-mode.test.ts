import type { ClickHouseClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@shadow-ai/core';
import { migrate, readMigrations } from './migrate.ts';
import { applyRetention } from './retention.ts';

/**
 * What the service sends to a ClickHouse cluster when CLICKHOUSE_CLUSTER is set. No cluster can run
 * on these machines, so the statements are recorded by a client that answers like a fresh server
 * (no migration applied yet); the generated DDL itself is checked in cluster.test.ts.
 */
function recordingClient(): { client: ClickHouseClient; sent: string[] } {
  const sent: string[] = [];
  const client = {
    command: async ({ query }: { query: string }) => {
      sent.push(query.replace(/\s+/g, ' ').trim());
      return {};
    },
    query: async () => ({ json: async () => [] }),
    insert: async ({ table }: { table: string }) => {
      sent.push(`INSERT INTO ${table}`);
      return {};
    },
  } as unknown as ClickHouseClient;
  return { client, sent };
}

describe('cluster mode', () => {
  it('applies the cluster variant of every migration, ON CLUSTER, with a replicated migrations table', async () => {
    const { client, sent } = recordingClient();
    const applied = await migrate({ client, cluster: 'shadow_ai' });
    expect(applied).toEqual(readMigrations().map((m) => m.version));
    expect(sent[0]).toMatch(/^CREATE TABLE IF NOT EXISTS schema_migrations ON CLUSTER shadow_ai .* ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{database\}\/schema_migrations', '\{replica\}'\)/);
    const ddl = sent.filter((s) => !s.startsWith('INSERT'));
    expect(ddl.every((s) => s.includes(' ON CLUSTER shadow_ai'))).toBe(true);
    expect(ddl).toContain("CREATE TABLE IF NOT EXISTS events ON CLUSTER shadow_ai AS events_local ENGINE = Distributed(shadow_ai, currentDatabase(), events_local, cityHash64(src))");
    expect(sent.filter((s) => s === 'INSERT INTO schema_migrations')).toHaveLength(applied.length);
  });

  it('sends the single-node schema without a cluster', async () => {
    const { client, sent } = recordingClient();
    await migrate(client);
    expect(sent.some((s) => s.includes('ON CLUSTER'))).toBe(false);
    expect(sent.some((s) => s.startsWith('CREATE TABLE IF NOT EXISTS events ('))).toBe(true);
  });

  it('sets retention on the local tables of every node', async () => {
    const { client, sent } = recordingClient();
    await applyRetention({ client, cluster: 'shadow_ai' }, { events: 30, aggregates: 400 });
    expect(sent).toContain('ALTER TABLE events_local ON CLUSTER shadow_ai MODIFY TTL toDateTime(ts) + INTERVAL 30 DAY');
    expect(sent).toContain('ALTER TABLE usage_daily_local ON CLUSTER shadow_ai MODIFY TTL day + INTERVAL 400 DAY');
  });

  it('refuses a cluster without a server, and a cluster name that is not an identifier', () => {
    expect(() => loadConfig({ CLICKHOUSE_CLUSTER: 'shadow_ai' })).toThrow(/CLICKHOUSE_CLUSTER needs CLICKHOUSE_URL/);
    expect(() => loadConfig({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: 'a; DROP' })).toThrow(/plain identifier/);
    expect(loadConfig({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: 'shadow_ai' }).CLICKHOUSE_CLUSTER).toBe('shadow_ai');
  });
});
