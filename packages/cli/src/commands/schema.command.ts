import { parseArgs } from 'node:util';
import { clusterMigrations, readMigrations } from '@shadow-ai/clickhouse';
import type { Io } from '../io.ts';

export const SCHEMA_HELP = `Usage: shadow-ai schema [--cluster NAME]

Prints the ClickHouse schema as SQL, migration by migration: the single-node schema the service applies
at start, or with --cluster the same migrations for a ClickHouse cluster (Replicated…MergeTree tables
<name>_local on every shard, Distributed tables <name> over them, ON CLUSTER statements).

Options:
  --cluster NAME   the cluster name of remote_servers in the ClickHouse configuration
  -h, --help       this text
`;

export async function schemaCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { cluster: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    io.out(SCHEMA_HELP);
    return 0;
  }
  const single = readMigrations();
  const migrations = values.cluster ? clusterMigrations(single, { cluster: values.cluster }) : single;
  for (const m of migrations) {
    io.out(`-- ${m.name}\n`);
    for (const s of m.statements) io.out(`${s};\n\n`);
  }
  return 0;
}
