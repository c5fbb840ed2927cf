import { describe, expect, it } from 'vitest';
import { clusterMigrations } from './cluster.ts';
import { readMigrations } from './migrate.ts';

const single = readMigrations();
const cluster = clusterMigrations(single, { cluster: 'shadow_ai' });
const all = cluster.flatMap((m) => m.statements);
const singleTables = single.flatMap((m) => m.statements).flatMap((s) => /^CREATE TABLE IF NOT EXISTS (\w+)/.exec(s)?.[1] ?? []);

describe('cluster schema generated from the migrations', () => {
  it('keeps the migrations and their order, and runs every statement ON CLUSTER', () => {
    expect(cluster.map((m) => m.name)).toEqual(single.map((m) => m.name));
    expect(all.every((s) => s.includes(' ON CLUSTER shadow_ai'))).toBe(true);
  });

  it('turns every table into a replicated local table plus a Distributed table over it', () => {
    expect(singleTables.length).toBeGreaterThan(15);
    for (const t of singleTables) {
      const local = all.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ${t}_local `));
      expect(local, t).toMatch(new RegExp(`ENGINE = Replicated\\w*MergeTree\\('/clickhouse/tables/\\{shard\\}/\\{database\\}/${t}_local', '\\{replica\\}'`));
      const dist = all.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ${t} ON CLUSTER`));
      expect(dist, t).toMatch(new RegExp(`AS ${t}_local\\nENGINE = Distributed\\(shadow_ai, currentDatabase\\(\\), ${t}_local, `));
    }
  });

  it('keeps engine parameters and sorting keys', () => {
    const findings = all.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS findings_local'))!;
    expect(findings).toContain("ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/findings_local', '{replica}', updated_at)");
    expect(findings).toContain('ORDER BY id');
    const usage = all.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS usage_daily_local'))!;
    expect(usage).toContain('ReplicatedAggregatingMergeTree(');
    expect(usage).toContain('PARTITION BY toYYYYMM(day)');
  });

  it('shards events by source so one insert (rows and ingest position) lands on one shard', () => {
    expect(all).toContain('CREATE TABLE IF NOT EXISTS events ON CLUSTER shadow_ai AS events_local\nENGINE = Distributed(shadow_ai, currentDatabase(), events_local, cityHash64(src))');
    expect(all.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS findings ON CLUSTER'))).toMatch(/cityHash64\(id\)\)$/);
  });

  it('points materialized views from local source to local target tables', () => {
    const mvs = all.filter((s) => s.startsWith('CREATE MATERIALIZED VIEW'));
    expect(mvs.length).toBeGreaterThanOrEqual(6);
    for (const mv of mvs) {
      expect(mv).toMatch(/ TO \w+_local AS/);
      expect(mv).toMatch(/FROM events_local/);
    }
  });

  it('adds new columns on both the local and the Distributed table, other changes on the local one', () => {
    expect(all).toContain('ALTER TABLE events_local ON CLUSTER shadow_ai ADD COLUMN IF NOT EXISTS candidate_score UInt8 DEFAULT 0');
    expect(all).toContain('ALTER TABLE events ON CLUSTER shadow_ai ADD COLUMN IF NOT EXISTS candidate_score UInt8 DEFAULT 0');
  });

  it('refuses a cluster name that is not an identifier', () => {
    expect(() => clusterMigrations(single, { cluster: 'x; DROP TABLE events' })).toThrow(/identifier/);
  });
});
