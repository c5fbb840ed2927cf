import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCatalog } from '@shadow-ai/catalog';
import { createClassifyStep, findingId, Sanctions, severityOf, type SanctionStatus } from '@shadow-ai/detect';
import { riskScore } from '@shadow-ai/catalog';
import { UsageError, type Io } from '../io.ts';
import { stderrProgress } from '../progress.ts';
import { FILE_OPTIONS, FILE_OPTIONS_HELP, forEachParsed, parserOptionsFromArgs, resolveFormats, type FileCounts } from './parse.command.ts';

export const SCAN_HELP = `Usage: shadow-ai scan FILE... [--format FMT|auto] [--sanctions FILE] [--json]

One-shot analysis of log files, nothing stored: which AI apps are used, by whom, how much, and the
"unsanctioned AI app in use" findings. A table for people; one JSON object with --json.

Options:
${FILE_OPTIONS_HELP}
  --sanctions FILE   sanctions file {"default":"unsanctioned","apps":{"<appId>":"sanctioned|monitored|unsanctioned|blocked"}}
                     (default: $SHADOW_AI_SANCTIONS_FILE; without one every app is unsanctioned)
  --json             one JSON object: {files, apps, users, findings}
  --quiet            no progress on stderr (a bar on a terminal, plain lines when piped)
  -h, --help         this text
`;

interface Tally {
  requests: number;
  blocked: number;
  bytesOut: number;
  bytesIn: number;
  firstSeen: string;
  lastSeen: string;
}

function newTally(ts: string): Tally {
  return { requests: 0, blocked: 0, bytesOut: 0, bytesIn: 0, firstSeen: ts, lastSeen: ts };
}

function add(t: Tally, ts: string, bytesOut: number | null, bytesIn: number | null, blocked: boolean): void {
  t.requests++;
  if (blocked) t.blocked++;
  t.bytesOut += bytesOut ?? 0;
  t.bytesIn += bytesIn ?? 0;
  if (ts < t.firstSeen) t.firstSeen = ts;
  if (ts > t.lastSeen) t.lastSeen = ts;
}

export interface ScanResult {
  files: FileCounts[];
  apps: ({ appId: string; name: string; category: string; sanction: SanctionStatus; users: number } & Tally)[];
  users: { user: string; apps: string[]; requests: number; bytesOut: number }[];
  findings: ({ id: string; type: 'unsanctioned-app'; user: string; appId: string; sanction: SanctionStatus; severity: number } & Tally)[];
}

export async function scanCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...FILE_OPTIONS,
      sanctions: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(SCAN_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('scan needs at least one FILE');
  const catalog = loadCatalog();
  const sanctionsFile = values.sanctions ?? env.SHADOW_AI_SANCTIONS_FILE;
  const sanctions = sanctionsFile ? Sanctions.load(sanctionsFile, catalog) : Sanctions.none();
  const classify = createClassifyStep({ catalog: { current: catalog } });
  const inputs = await resolveFormats(positionals, values.format, io, parserOptionsFromArgs(values));

  const perApp = new Map<string, { tally: Tally; users: Set<string> }>();
  const perPair = new Map<string, { user: string; appId: string; tally: Tally }>();
  const perUser = new Map<string, { apps: Set<string>; requests: number; bytesOut: number }>();
  let rejectedShown = 0;
  const totalBytes = inputs.reduce((sum, i) => sum + statSync(i.file).size, 0);
  const progress = stderrProgress('scan', totalBytes, 'bytes', io.err, values.quiet);
  const files = await forEachParsed(
    inputs,
    64 * 1024,
    (event) => {
      const c = classify(event);
      if (!c) return;
      const appId = c.match.app.id;
      const blocked = event.action === 'blocked';
      let a = perApp.get(appId);
      if (!a) perApp.set(appId, (a = { tally: newTally(event.ts), users: new Set() }));
      add(a.tally, event.ts, event.bytesOut, event.bytesIn, blocked);
      a.users.add(c.principal);
      const key = `${c.principal}\u0000${appId}`;
      let p = perPair.get(key);
      if (!p) perPair.set(key, (p = { user: c.principal, appId, tally: newTally(event.ts) }));
      add(p.tally, event.ts, event.bytesOut, event.bytesIn, blocked);
      let u = perUser.get(c.principal);
      if (!u) perUser.set(c.principal, (u = { apps: new Set(), requests: 0, bytesOut: 0 }));
      u.apps.add(appId);
      u.requests++;
      u.bytesOut += event.bytesOut ?? 0;
    },
    (file, line, reason) => {
      // The table is for people: show the first few rejects; --json reports counts per file.
      if (!values.json && rejectedShown++ < 10) io.err(`${file}:${line}: ${reason}\n`);
    },
    async (bytes) => progress.add(bytes),
  );
  progress.finish();

  const result: ScanResult = {
    files,
    apps: [...perApp.entries()]
      .map(([appId, a]) => {
        const app = catalog.get(appId)!;
        return { appId, name: app.name, category: app.category, sanction: sanctions.statusOf(appId), users: a.users.size, ...a.tally };
      })
      .sort((x, y) => y.requests - x.requests || x.appId.localeCompare(y.appId)),
    users: [...perUser.entries()]
      .map(([user, u]) => ({ user, apps: [...u.apps].sort(), requests: u.requests, bytesOut: u.bytesOut }))
      .sort((x, y) => y.requests - x.requests || x.user.localeCompare(y.user)),
    findings: [...perPair.values()]
      .filter((p) => sanctions.isUnsanctioned(p.appId))
      .map((p) => {
        const sanction = sanctions.statusOf(p.appId);
        return {
          id: findingId('unsanctioned-app', p.user, p.appId),
          type: 'unsanctioned-app' as const,
          user: p.user,
          appId: p.appId,
          sanction,
          severity: severityOf('unsanctioned-app', riskScore(catalog.get(p.appId)!.risk), p.tally.requests, p.tally.bytesOut, sanction),
          ...p.tally,
        };
      })
      .sort((x, y) => y.severity - x.severity || y.requests - x.requests || x.id.localeCompare(y.id)),
  };

  if (values.json) io.out(JSON.stringify(result) + '\n');
  else printTables(result, io);
  await io.flush();
  return 0;
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n';
  return line(headers) + line(widths.map((w) => '-'.repeat(w))) + rows.map(line).join('');
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

function printTables(r: ScanResult, io: Io): void {
  for (const f of r.files) io.out(`${f.file}: ${f.lines} lines (${f.format}), ${f.parsed} parsed, ${f.rejected} rejected\n`);
  io.out(`\nAI apps (${r.apps.length})\n`);
  io.out(
    table(
      ['APP', 'CATEGORY', 'SANCTION', 'USERS', 'REQUESTS', 'UPLOADED', 'DOWNLOADED', 'LAST SEEN'],
      r.apps.map((a) => [a.name, a.category, a.sanction, String(a.users), String(a.requests), formatBytes(a.bytesOut), formatBytes(a.bytesIn), a.lastSeen]),
    ),
  );
  io.out(`\nUsers (${r.users.length})\n`);
  io.out(table(['USER', 'REQUESTS', 'UPLOADED', 'APPS'], r.users.map((u) => [u.user, String(u.requests), formatBytes(u.bytesOut), u.apps.join(', ')])));
  io.out(`\nFindings (${r.findings.length}): unsanctioned AI app in use\n`);
  io.out(
    table(
      ['SEVERITY', 'USER', 'APP', 'SANCTION', 'REQUESTS', 'FIRST SEEN', 'LAST SEEN'],
      r.findings.map((f) => [String(f.severity), f.user, f.appId, f.sanction, String(f.requests), f.firstSeen, f.lastSeen]),
    ),
  );
}
