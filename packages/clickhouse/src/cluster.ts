import type { Migration } from './migrate.ts';

export interface ClusterOptions {
  /** the cluster name of remote_servers in the ClickHouse configuration */
  cluster: string;
}

/**
 * Where a table's rows go across shards. Events are sharded by their source (Kafka topic/partition,
 * HTTP batch): one insert then lands on one shard, so rows and their ingest position stay atomic
 * together, which crash recovery relies on. Tables the detector or the API write directly are sharded
 * by their first key column, so every version of a row meets its predecessors on one shard
 * (ReplacingMergeTree … FINAL). Materialized-view targets only receive rows from their shard's view.
 */
function shardingKey(table: string, orderBy: string, mvTargets: Set<string>): string {
  if (table === 'events') return 'cityHash64(src)';
  if (mvTargets.has(table)) return 'rand()';
  const first = orderBy.replace(/^\(/, '').split(/[,)]/)[0]!.trim();
  return `cityHash64(${first})`;
}

const CREATE_TABLE = /^CREATE TABLE IF NOT EXISTS (\w+)\s*\n?\(([\s\S]*)\)\s*\nENGINE = (\w+)(?:\(([^)]*)\))?\s*\n([\s\S]*)$/;
const CREATE_MV = /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+) TO (\w+) AS\s*\n([\s\S]*)$/;
const ALTER = /^ALTER TABLE (\w+) ([\s\S]*)$/;
const DROP_VIEW = /^DROP VIEW IF EXISTS (\w+)$/;

/**
 * The same migrations for a ClickHouse cluster: every table becomes `<name>_local` with the
 * Replicated… variant of its engine on each shard, plus a Distributed table `<name>` over them that
 * the code reads and writes; views read and write the local tables; every statement runs ON CLUSTER.
 * Generated, never hand-written, so the two schemas cannot drift.
 */
export function clusterMigrations(migrations: Migration[], opts: ClusterOptions): Migration[] {
  const c = opts.cluster;
  if (!/^\w+$/.test(c)) throw new Error(`cluster name must be a plain identifier, got "${c}"`);
  const mvTargets = new Set<string>();
  for (const m of migrations) for (const s of m.statements) {
    const mv = CREATE_MV.exec(s);
    if (mv) mvTargets.add(mv[2]!);
  }
  const tables = new Set<string>();
  return migrations.map((m) => ({
    ...m,
    statements: m.statements.flatMap((s): string[] => {
      const t = CREATE_TABLE.exec(s);
      if (t) {
        const [, name, columns, engine, args, rest] = t as unknown as [string, string, string, string, string | undefined, string];
        tables.add(name);
        const orderBy = /ORDER BY ([^\n]+)/.exec(rest)?.[1]?.trim() ?? 'tuple()';
        const zkPath = `'/clickhouse/tables/{shard}/{database}/${name}_local'`;
        const replicated = `Replicated${engine}(${[zkPath, "'{replica}'", ...(args ? [args] : [])].join(', ')})`;
        return [
          `CREATE TABLE IF NOT EXISTS ${name}_local ON CLUSTER ${c}\n(${columns})\nENGINE = ${replicated}\n${rest}`,
          `CREATE TABLE IF NOT EXISTS ${name} ON CLUSTER ${c} AS ${name}_local\nENGINE = Distributed(${c}, currentDatabase(), ${name}_local, ${shardingKey(name, orderBy, mvTargets)})`,
        ];
      }
      const mv = CREATE_MV.exec(s);
      if (mv) {
        const [, view, target, select] = mv as unknown as [string, string, string, string];
        const local = select.replace(/\bFROM (\w+)/g, (all, src: string) => (tables.has(src) ? `FROM ${src}_local` : all));
        return [`CREATE MATERIALIZED VIEW IF NOT EXISTS ${view} ON CLUSTER ${c} TO ${target}_local AS\n${local}`];
      }
      const alter = ALTER.exec(s);
      if (alter) {
        const [, table, change] = alter as unknown as [string, string, string];
        // A new column must exist on the Distributed table too, or reads through it will not see it.
        const onDistributed = /^ADD COLUMN/.test(change) ? [`ALTER TABLE ${table} ON CLUSTER ${c} ${change}`] : [];
        return [`ALTER TABLE ${table}_local ON CLUSTER ${c} ${change}`, ...onDistributed];
      }
      const drop = DROP_VIEW.exec(s);
      if (drop) return [`DROP VIEW IF EXISTS ${drop[1]} ON CLUSTER ${c}`];
      throw new Error(`${m.name}: no cluster form for statement: ${s.slice(0, 80)}`);
    }),
  }));
}
