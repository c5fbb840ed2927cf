import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCatalog } from '@shadow-ai/catalog';
import { createStore, migrate } from '@shadow-ai/clickhouse';
import { createLogger, loadConfig } from '@shadow-ai/core';
import { currentExport, CustomApps, EXPORT_FORMATS, isExportFormat, LiveSanctions, Sanctions, SanctionStore, type ExportResult } from '@shadow-ai/detect';
import { adminSocketPath, callAdminSocket } from '../admin-socket.ts';
import { UsageError, type Io } from '../io.ts';

export const EXPORT_HELP = `Usage: shadow-ai export --format FORMAT [--list blocked|sanctioned] [--proxy TARGET] [--out FILE]

Writes the enforcement list of blocked (or sanctioned) apps for a proxy, DNS server or firewall:
  squid        dstdomain ACL file           squid-conf   squid.conf snippet using it
  rpz          BIND response policy zone    unbound      local-zone config
  dnsmasq      address=/…/ lines            hosts        0.0.0.0 host lines
  pihole       domain list                  adguard      adblock-style rules
  edl          Palo Alto External Dynamic List (domains)
  pac          proxy auto-config file (--proxy: where matching hosts go)

Decisions come from the running service (its local admin socket) or, without one, from the store.
The same lists are served at GET /v1/exports/{format} with ETag/If-None-Match for appliances.

Options:
  --format FORMAT   one of: ${EXPORT_FORMATS.join(', ')}
  --list LIST       blocked (default) or sanctioned
  --proxy TARGET    PAC only, e.g. "PROXY gateway.corp.example:3128"
  --out FILE        write to FILE instead of stdout
  -h, --help        this text
`;

export async function exportCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      format: { type: 'string' },
      list: { type: 'string', default: 'blocked' },
      proxy: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(EXPORT_HELP);
    return 0;
  }
  if (!values.format || !isExportFormat(values.format)) throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}`);
  if (values.list !== 'blocked' && values.list !== 'sanctioned') throw new UsageError('--list must be blocked or sanctioned');
  const config = loadConfig(env);
  const query = `/exports/${values.format}?list=${values.list}${values.proxy ? `&proxy=${encodeURIComponent(values.proxy)}` : ''}`;
  const viaSocket = config.CLICKHOUSE_URL ? null : await callAdminSocket(adminSocketPath(config.SHADOW_AI_DATA_DIR), 'GET', query);
  let result: ExportResult;
  if (viaSocket) {
    if (viaSocket.status >= 400) throw new UsageError((viaSocket.body as { message: string }).message);
    result = viaSocket.body as ExportResult;
  } else {
    const log = createLogger({ level: 'warn' });
    const shipped = loadCatalog();
    const store = await createStore(config, log);
    try {
      await migrate(store, log);
      const sanctions = new LiveSanctions(
        config.SHADOW_AI_SANCTIONS_FILE ? Sanctions.readFile(config.SHADOW_AI_SANCTIONS_FILE, shipped) : { default: 'unsanctioned', apps: {} },
      );
      await new SanctionStore({ client: store.client, sanctions }).load();
      const ref = { current: shipped };
      const customApps = new CustomApps({ client: store.client, shipped, ref, log });
      await customApps.load();
      result = currentExport(values.format, values.list, { catalog: ref.current, sanctions, customApps }, values.proxy);
    } finally {
      await store.close();
    }
  }
  if (values.out) writeFileSync(values.out, result.body);
  else io.out(result.body);
  io.err(`${result.fileName}: ${result.entries} entries${result.skipped.length ? `, ${result.skipped.length} hosts this format cannot express` : ''}\n`);
  return 0;
}
