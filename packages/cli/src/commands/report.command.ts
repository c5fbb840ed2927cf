import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCatalog } from '@shadow-ai/catalog';
import { createStore, migrate } from '@shadow-ai/clickhouse';
import { createLogger, loadConfig, type Config } from '@shadow-ai/core';
import {
  checkMonth, CustomApps, isReportFormat, LiveSanctions, REPORT_FORMATS, ReportService, ReportStore, Sanctions, SanctionStore,
  type ReportFormat, type ReportStage,
} from '@shadow-ai/detect';
import { adminSocketPath, callAdminSocket } from '../admin-socket.ts';
import { UsageError, type Io } from '../io.ts';
import { stderrProgress, type Progress } from '../progress.ts';

export const REPORT_HELP = `Usage: shadow-ai report --month YYYY-MM --format html|pdf|csv|json [--out FILE]

The monthly Shadow AI report: executive summary, AI apps by users and volume, new apps, unsanctioned use
against the previous month, top users of unsanctioned apps, uploads, findings opened and resolved, agent
identities. Months are UTC; the current month gives a partial report.

The data comes from the running service (its local admin socket) or, without one, from the store
(SHADOW_AI_DATA_DIR, or the ClickHouse server of CLICKHOUSE_URL). PDF is printed by headless Chromium
(CHROMIUM_PATH, default /usr/bin/chromium). The same report: GET /v1/reports/monthly?month=…&format=….

Options:
  --month YYYY-MM   the month to report on
  --format FORMAT   ${REPORT_FORMATS.join(', ')} (default json)
  --out FILE        write to FILE; without it the report goes to stdout (PDF only when stdout is not a terminal)
  --quiet           no progress on stderr
  -h, --help        this text
`;

const STAGES: Record<ReportStage, number> = { query: 0, render: 1, store: 2, done: 2 };

export async function reportCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      month: { type: 'string' },
      format: { type: 'string', default: 'json' },
      out: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(REPORT_HELP);
    return 0;
  }
  if (!values.month) throw new UsageError('--month YYYY-MM is required');
  const month = checkMonth(values.month);
  if (!month.ok) throw new UsageError(month.reason);
  if (!isReportFormat(values.format)) throw new UsageError(`--format must be one of ${REPORT_FORMATS.join(', ')}`);
  const format = values.format;
  if (format === 'pdf' && !values.out && process.stdout.isTTY) throw new UsageError('a PDF is binary: give --out FILE, or redirect stdout');
  const config = loadConfig(env);

  const progress = stderrProgress(`report ${values.month} ${format}`, 2, 'items', io.err, values.quiet);
  const viaSocket = config.CLICKHOUSE_URL
    ? null
    : await callAdminSocket(adminSocketPath(config.SHADOW_AI_DATA_DIR), 'GET', `/reports/monthly?month=${values.month}&format=${format}`);
  let body: Buffer;
  if (viaSocket) {
    progress.update(1, 'from the running service');
    if (viaSocket.status >= 400) {
      progress.finish('failed');
      io.err(`shadow-ai report: ${(viaSocket.body as { message?: string }).message ?? 'the service could not make the report'}\n`);
      return 1;
    }
    body = Buffer.from((viaSocket.body as { bodyBase64: string }).bodyBase64, 'base64');
  } else {
    body = await direct(config, values.month, format, progress);
  }
  progress.update(2, 'written');
  progress.finish();

  if (values.out) {
    writeFileSync(values.out, body);
    io.err(`${values.out}: ${body.length} bytes (${format}, ${values.month})\n`);
  } else if (format === 'pdf') {
    await io.flush();
    await new Promise<void>((resolve, reject) => process.stdout.write(body, (err) => (err ? reject(err) : resolve())));
  } else io.out(body.toString('utf8'));
  return 0;
}

/** No running service: open the store (briefly) and make the report here. */
async function direct(config: Config, month: string, format: ReportFormat, progress: Progress): Promise<Buffer> {
  const log = createLogger({ level: 'warn' });
  const shipped = loadCatalog();
  const store = await createStore(config, log);
  try {
    await migrate(store, log);
    const sanctions = new LiveSanctions(
      config.SHADOW_AI_SANCTIONS_FILE ? Sanctions.readFile(config.SHADOW_AI_SANCTIONS_FILE, shipped) : { default: 'unsanctioned', apps: {} },
    );
    const sanctionStore = new SanctionStore({ client: store.client, sanctions });
    await sanctionStore.load();
    const ref = { current: shipped };
    await new CustomApps({ client: store.client, shipped, ref, log }).load();
    const service = new ReportService({
      client: store.client,
      catalog: () => ref.current,
      sanctions,
      sanctionsAt: (at) => sanctionStore.asOf(at),
      chromiumPath: config.CHROMIUM_PATH,
      store: new ReportStore(store.client),
    });
    const out = await service.render(month, format, (stage) => progress.update(STAGES[stage], stage === 'done' ? 'rendered' : stage));
    return out.body;
  } finally {
    await store.close();
  }
}
