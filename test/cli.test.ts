import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT } from './support/service.ts';

const SQUID = join(REPO_ROOT, 'test/fixtures/squid-access.log');
const BIND = join(REPO_ROOT, 'test/fixtures/bind-query.log');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, SHADOW_AI_SANCTIONS_FILE: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface ScanJson {
  files: { file: string; format: string; lines: number; parsed: number; rejected: number }[];
  apps: { appId: string; name: string; users: number; requests: number; bytesIn: number }[];
  users: { user: string; apps: string[]; requests: number }[];
  findings: { user: string; appId: string; requests: number; severity: number }[];
}

describe('shadow-ai CLI', () => {
  it('scan --json reports the AI apps, users and findings of a squid log', () => {
    const r = cli('scan', SQUID, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as ScanJson;
    const lines = readFileSync(SQUID, 'utf8').trim().split('\n');
    expect(out.files).toEqual([{ file: SQUID, format: 'squid', lines: lines.length, parsed: lines.length, rejected: 0 }]);
    // Cross-check against the file itself: every ChatGPT line, and who made them.
    const chatgptLines = lines.filter((l) => /\schatgpt\.com:443\s/.test(l));
    const chatgpt = out.apps.find((a) => a.appId === 'chatgpt')!;
    expect(chatgpt.requests).toBe(chatgptLines.length);
    expect(chatgpt.users).toBe(new Set(chatgptLines.map((l) => l.split(/\s+/)[7])).size);
    expect(out.apps.map((a) => a.appId)).not.toContain(undefined);
    expect(out.apps.some((a) => a.appId === 'github-copilot')).toBe(false);
    expect(out.users.map((u) => u.user).sort()).toEqual(['alice', 'bob', 'carol', 'dave']);
    expect(out.findings.length).toBeGreaterThan(0);
    const totalFindingRequests = out.findings.reduce((s, f) => s + f.requests, 0);
    expect(totalFindingRequests).toBe(out.apps.reduce((s, a) => s + a.requests, 0));
  });

  it('scan prints the same apps and users as a table for people', () => {
    const json = JSON.parse(cli('scan', SQUID, '--json').stdout) as ScanJson;
    const r = cli('scan', SQUID);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`AI apps (${json.apps.length})`);
    for (const a of json.apps) expect(r.stdout).toContain(a.name);
    for (const u of json.users) expect(r.stdout).toContain(u.user);
    expect(r.stdout).toContain(`Findings (${json.findings.length})`);
  });

  it('scan honours a sanctions file: sanctioned apps raise no finding', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadow-ai-cli-'));
    const file = join(dir, 'sanctions.json');
    writeFileSync(file, JSON.stringify({ default: 'sanctioned', apps: { claude: 'blocked' } }));
    const out = JSON.parse(cli('scan', SQUID, '--json', '--sanctions', file).stdout) as ScanJson;
    expect(new Set(out.findings.map((f) => f.appId))).toEqual(new Set(['claude']));
    writeFileSync(file, JSON.stringify({ apps: { 'no-such-app': 'blocked' } }));
    const bad = cli('scan', SQUID, '--sanctions', file);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('unknown app id(s): no-such-app');
  });

  it('parse --format auto emits NDJSON events with the contract fields and reports rejects with line numbers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadow-ai-cli-'));
    const file = join(dir, 'mixed.log');
    const lines = readFileSync(BIND, 'utf8').trim().split('\n');
    writeFileSync(file, [lines[0], 'garbage here', lines[1], ''].join('\n'));
    const r = cli('parse', '--format', 'auto', file);
    expect(r.code).toBe(1);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events).toHaveLength(2);
    expect(Object.keys(events[0]!).sort()).toEqual(
      ['action', 'bytesIn', 'bytesOut', 'destIp', 'destPort', 'dnsRcode', 'dnsType', 'format', 'host', 'kind', 'method', 'srcIp', 'status', 'ts', 'url', 'user', 'userAgent'].sort(),
    );
    expect(events[0]!.kind).toBe('dns');
    expect(r.stderr).toContain(`${file}: format bind (auto-detected)`);
    expect(r.stderr).toContain(`${file}:2: `);
  });

  it('classify names the app, activity and how it matched, and null for other hosts', () => {
    const r = cli('classify', 'https://api.openai.com/v1/chat/completions', 'chatgpt.com:443', 'www.wikipedia.org', '--method', 'POST');
    expect(r.code).toBe(0);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out[0]).toMatchObject({ appId: 'openai-api', activity: 'api-inference', matchedBy: 'signature' });
    expect(out[1]).toMatchObject({ input: 'chatgpt.com:443', appId: 'chatgpt', appName: 'ChatGPT' });
    expect(out[2]).toEqual({ input: 'www.wikipedia.org', appId: null, appName: null, category: null, activity: null, matchedBy: null });
  });

  it('catalog lint passes on the shipped catalog and stats --json counts it', () => {
    const lint = cli('catalog', 'lint');
    expect(lint.code).toBe(0);
    const stats = JSON.parse(cli('catalog', 'stats', '--json').stdout) as { apps: number; domains: number; signatures: number; categories: Record<string, number> };
    expect(stats.apps).toBeGreaterThanOrEqual(50);
    expect(Object.values(stats.categories).reduce((a, b) => a + b, 0)).toBe(stats.apps);
  });

  it('catalog lint fails on a broken catalog', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadow-ai-cat-'));
    writeFileSync(join(dir, 'x.json'), JSON.stringify({ id: 'x', name: 'X' }));
    writeFileSync(join(dir, 'y.json'), '{ not json');
    const r = cli('catalog', 'lint', '--dir', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('x.json: vendor');
    expect(r.stderr).toContain('y.json: invalid JSON');
  });

  it('answers usage errors with exit code 2 and a hint', () => {
    expect(cli('nonsense').code).toBe(2);
    const r = cli('parse');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Run "shadow-ai parse --help"');
    expect(cli('parse', '--format', 'nope', SQUID).code).toBe(2);
    const help = cli('--help');
    expect(help.code).toBe(0);
    for (const c of ['start', 'parse', 'classify', 'scan', 'catalog']) expect(help.stdout).toContain(c);
  });
});

describe('shadow-ai report', () => {
  const reportCli = (dataDir: string, ...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, 'report', ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, SHADOW_AI_SANCTIONS_FILE: '', SHADOW_AI_DATA_DIR: dataDir },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const pad = (n: number) => String(n).padStart(2, '0');
  const now = new Date();
  const lastMonth = (() => {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;
  })();
  const nextMonth = (() => {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;
  })();

  it('is listed in the help and explains its options', () => {
    expect(cli('--help').stdout).toContain('report --month YYYY-MM --format html|pdf|csv|json');
    const r = cli('report', '--help');
    expect(r.code).toBe(0);
    for (const o of ['--month', '--format', '--out', '--quiet']) expect(r.stdout).toContain(o);
  });

  it('refuses a missing, malformed or future month and an unknown format with exit code 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadow-ai-report-cli-'));
    const missing = reportCli(dir, '--format', 'json');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--month YYYY-MM is required');
    const bad = reportCli(dir, '--month', '2026-13');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('month must be YYYY-MM');
    const future = reportCli(dir, '--month', nextMonth);
    expect(future.code).toBe(2);
    expect(future.stderr).toContain('is in the future');
    const format = reportCli(dir, '--month', lastMonth, '--format', 'docx');
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('--format must be one of html, pdf, csv, json');
  });

  it('reads the store itself when no service runs: an empty store gives a report of zeros, every day listed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadow-ai-report-cli-'));
    const r = reportCli(dir, '--month', lastMonth, '--format', 'json', '--quiet');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as { month: string; summary: { current: { events: number; apps: number } }; unsanctionedTrend: { current: unknown[] } };
    expect(report.month).toBe(lastMonth);
    expect(report.summary.current).toMatchObject({ events: 0, apps: 0 });
    const [y, m] = lastMonth.split('-').map(Number);
    expect(report.unsanctionedTrend.current).toHaveLength(new Date(Date.UTC(y!, m!, 0)).getUTCDate());
    const out = join(dir, 'r.csv');
    const csv = reportCli(dir, '--month', lastMonth, '--format', 'csv', '--out', out);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toBe('');
    expect(readFileSync(out, 'utf8').startsWith('section,key,name,metric,value\r\n')).toBe(true);
    expect(csv.stderr).toContain(`${out}: `);
  });

  it('names CHROMIUM_PATH when there is no Chromium to print the PDF', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadow-ai-report-cli-'));
    const r = spawnSync(process.execPath, [CLI, 'report', '--month', lastMonth, '--format', 'pdf', '--out', join(dir, 'r.pdf'), '--quiet'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, SHADOW_AI_SANCTIONS_FILE: '', SHADOW_AI_DATA_DIR: dir, CHROMIUM_PATH: join(dir, 'no-chromium') },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`no Chromium at ${join(dir, 'no-chromium')} (set CHROMIUM_PATH`);
  });
});
