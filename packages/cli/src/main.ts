import { CatalogError } from '@shadow-ai/catalog';
import { ConfigError } from '@shadow-ai/core';
import { ChromiumMissingError } from '@shadow-ai/detect';
import { catalogCommand } from './commands/catalog.command.ts';
import { classifyCommand } from './commands/classify.command.ts';
import { exportCommand } from './commands/export.command.ts';
import { keysCommand } from './commands/keys.command.ts';
import { parseCommand } from './commands/parse.command.ts';
import { reportCommand } from './commands/report.command.ts';
import { ReplayError, replayCommand } from './commands/replay.command.ts';
import { scanCommand } from './commands/scan.command.ts';
import { schemaCommand } from './commands/schema.command.ts';
import { startCommand } from './commands/start.command.ts';
import { createStreamIo, UsageError, type Io } from './io.ts';

export const HELP = `Usage: shadow-ai COMMAND [options]

Shadow AI Watch: finds the AI apps people use, from web-proxy and DNS logs.

Commands:
  start                          API + ingest + detection in one process (see: shadow-ai start --help)
  parse --format FMT|auto FILE…  log lines → NormalizedEvent NDJSON; rejects on stderr
  classify HOST_OR_URL…          which AI app a destination belongs to (JSON per input)
  scan FILE… [--json]            one-shot report of AI apps, users and findings in log files
  replay FILE… --to URL           send log files to a running service in batches (backfill; replays store nothing twice)
  report --month YYYY-MM --format html|pdf|csv|json [--out FILE]
                                 the monthly Shadow AI report
  catalog lint | stats [--json]  validate / count the AI app catalog
  keys create|list|revoke        API keys (create --role viewer|analyst|admin)
  export --format FORMAT         enforcement list of blocked apps (squid, rpz, unbound, pac, …)
  schema [--cluster NAME]        the ClickHouse schema as SQL (single node, or for a cluster)

Run "shadow-ai COMMAND --help" for a command's options.
`;

const COMMANDS: Record<string, (argv: string[], io: Io) => Promise<number>> = {
  start: startCommand,
  parse: parseCommand,
  classify: classifyCommand,
  scan: scanCommand,
  replay: replayCommand,
  report: reportCommand,
  catalog: catalogCommand,
  keys: keysCommand,
  export: exportCommand,
  schema: schemaCommand,
};

export async function main(argv: string[], io: Io = createStreamIo(process.stdout, process.stderr)): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(HELP);
    await io.flush();
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`shadow-ai: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  try {
    const code = await command(rest, io);
    await io.flush();
    return code;
  } catch (err) {
    await io.flush();
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      io.err(`shadow-ai ${name}: ${(err as Error).message}\nRun "shadow-ai ${name} --help" for usage.\n`);
      return 2;
    }
    if (err instanceof ConfigError || err instanceof CatalogError || err instanceof ChromiumMissingError || err instanceof ReplayError) {
      io.err(`shadow-ai ${name}: ${err.message}\n`);
      return 1;
    }
    if (err instanceof Error && 'code' in err && (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR')) {
      io.err(`shadow-ai ${name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
