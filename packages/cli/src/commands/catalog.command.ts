import { parseArgs } from 'node:util';
import { Catalog, DEFAULT_CATALOG_DIR, lintApps, readCatalogFiles } from '@shadow-ai/catalog';
import { UsageError, type Io } from '../io.ts';

export const CATALOG_HELP = `Usage: shadow-ai catalog lint [--dir DIR]
       shadow-ai catalog stats [--json] [--dir DIR]

lint    validates every app file: schema, duplicate ids, a domain claimed by two apps, invalid or
        catastrophic regexes, public suffixes, shared-infrastructure domains used as suffixes.
        Exit status 1 when there is a problem.
stats   counts apps, domains, signatures and apps per category;
        --json prints {"apps":N,"domains":N,"signatures":N,"categories":{...}}

Options:
  --dir DIR    catalog directory (default: the shipped catalog, ${DEFAULT_CATALOG_DIR})
  -h, --help   this text
`;

export async function catalogCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const sub = positionals[0];
  if (values.help || !sub) {
    io.out(CATALOG_HELP);
    return values.help ? 0 : 2;
  }
  const dir = values.dir ?? DEFAULT_CATALOG_DIR;
  const files = readCatalogFiles(dir);
  if (sub === 'lint') {
    const problems = lintApps(files);
    for (const p of problems) io.err(`${p.file}: ${p.message}\n`);
    if (problems.length > 0) {
      io.err(`catalog lint: ${problems.length} problem(s) in ${dir}\n`);
      return 1;
    }
    io.out(`catalog lint: ${files.apps.length} apps OK\n`);
    return 0;
  }
  if (sub === 'stats') {
    const stats = new Catalog(files.apps.map((a) => a.app)).stats();
    if (values.json) io.out(JSON.stringify(stats) + '\n');
    else {
      io.out(`apps        ${stats.apps}\ndomains     ${stats.domains}\nsignatures  ${stats.signatures}\n`);
      for (const [c, n] of Object.entries(stats.categories).sort((a, b) => b[1] - a[1])) io.out(`  ${c.padEnd(20)} ${n}\n`);
    }
    return 0;
  }
  throw new UsageError(`unknown catalog command "${sub}" (lint, stats)`);
}
