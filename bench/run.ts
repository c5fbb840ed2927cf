/**
 * `npm run bench`: throughput of the hot paths, one JSON line per measurement. Each line carries the
 * baseline measured in the same run on the same input, because these machines are noisy: compare
 * ratios, not absolute numbers across runs.
 *
 *   squid/bind parse+classify: events/s through parseLines + the catalog classify step, against the
 *                              raw rate of reading and splitting the same file into lines
 *   catalog lookup:            host lookups/s of the matcher, against a bare Map.get over the same hosts
 *   formats (BENCH_ONLY=formats): parse and parse+classify per log format, against read+split
 *   kafka (BENCH_ONLY=kafka):  end to end through a real broker into the store, against the broker's
 *                              produce rate; consumer lag; service peak RSS
 *   api (BENCH_ONLY=api):      p50/p99 of /v1/apps, /v1/findings and a user drill-down on a store of
 *                              BENCH_API_EVENTS (50M) generated events, against /healthz; storage per
 *                              million events (bench/api-latency.ts; BENCH_API_DIR keeps the store)
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog, normalizeHost } from '@shadow-ai/catalog';
import { createClassifyStep } from '@shadow-ai/detect';
import { createParser, parseLines, readLineChunks } from '@shadow-ai/ingest';
import { benchFormats, parseClassifyFile } from './formats.ts';
import { benchKafkaE2e } from './kafka-e2e.ts';
import { benchApiLatency } from './api-latency.ts';

const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const catalog = loadCatalog();
const classify = createClassifyStep({ catalog: { current: catalog } });

const aiHosts = catalog.apps.flatMap((a) => a.domains.map((d) => (d.match === 'suffix' ? `www.${d.host}` : d.host)));
const otherHosts = ['www.wikipedia.org', 'github.com', 'intranet.corp.example', 'www.bbc.co.uk', 'cdn.jsdelivr.net', 'login.microsoftonline.com', 'storage.googleapis.com', 'updates.example.org'];

/** ~30% AI destinations, as a proxy log in an organisation that uses AI apps heavily. */
function hostAt(i: number): string {
  return i % 10 < 3 ? aiHosts[i % aiHosts.length]! : otherHosts[i % otherHosts.length]!;
}

/** Writes the generated lines in blocks so the generator itself does not dominate peak RSS. */
function writeLines(path: string, line: (i: number) => string): void {
  writeFileSync(path, '');
  for (let start = 0; start < LINES; start += 50_000) {
    const block: string[] = [];
    for (let i = start; i < Math.min(LINES, start + 50_000); i++) block.push(line(i));
    appendFileSync(path, block.join('\n') + '\n');
  }
}

function squidFile(path: string): void {
  const t0 = 1795600800;
  writeLines(path, (i) => {
    const host = hostAt(i);
    const ts = `${t0 + Math.floor(i / 50)}.${String(i % 1000).padStart(3, '0')}`;
    return i % 4 === 0
        ? `${ts}    312 10.1.${(i >> 8) & 255}.${i & 255} TCP_MISS/200 ${1000 + (i % 5000)} POST https://${host}/v1/chat/completions user${i % 500} HIER_DIRECT/203.0.113.7 application/json`
        : `${ts}    245 10.1.${(i >> 8) & 255}.${i & 255} TCP_TUNNEL/200 ${5120 + (i % 9000)} CONNECT ${host}:443 user${i % 500} HIER_DIRECT/203.0.113.7 -`;
  });
}

function bindFile(path: string): void {
  writeLines(path, (i) => {
    const host = hostAt(i);
    const s = String(i % 60).padStart(2, '0');
    return `25-Nov-2026 10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${s}.${String(i % 1000).padStart(3, '0')} queries: info: client @0x7f8a1c0b2d40 10.2.${(i >> 8) & 255}.${i & 255}#53211 (${host}): query: ${host} IN A +E(0)K (10.0.0.53)`;
  });
}

const decoder = new TextDecoder('utf-8', { fatal: true });

async function readBaseline(path: string): Promise<number> {
  let n = 0;
  for await (const chunk of readLineChunks(path)) {
    for (const line of decoder.decode(chunk.buffer).split('\n')) if (line.length > 0) n++;
  }
  return n;
}

const parseClassify = (path: string, format: string) => parseClassifyFile(path, format, classify);

async function rate(fn: () => Promise<number> | number): Promise<{ perSec: number; items: number }> {
  const samples: { perSec: number; items: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.hrtime.bigint();
    const items = await fn();
    const secs = Number(process.hrtime.bigint() - t) / 1e9;
    samples.push({ perSec: items / secs, items });
  }
  samples.sort((a, b) => a.perSec - b.perSec);
  return samples[Math.floor(samples.length / 2)]!;
}

function emit(o: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ ...o, rounds: ROUNDS, node: process.version }) + '\n');
}

const only = process.env.BENCH_ONLY;
const dir = mkdtempSync(join(tmpdir(), 'shadow-ai-bench-'));
let peakRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
try {
  for (const [format, make] of only ? [] : ([['squid', squidFile], ['bind', bindFile]] as const)) {
    const file = join(dir, `${format}.log`);
    make(file);
    const baseline = await rate(() => readBaseline(file));
    const measured = await rate(() => parseClassify(file, format));
    emit({
      bench: `${format}.generated.parse_classify`,
      unit: 'events/s',
      value: Math.round(measured.perSec),
      baseline: { name: 'read_and_split_lines', unit: 'lines/s', value: Math.round(baseline.perSec) },
      ratio: Number((measured.perSec / baseline.perSec).toFixed(3)),
      lines: measured.items,
    });
  }

  // Every format on realistic fixture lines (test/fixtures/formats), against the same read baseline.
  if (!only || only === 'formats') {
    for (const line of await benchFormats({ rounds: ROUNDS, lines: Number(process.env.BENCH_FORMAT_LINES ?? 200_000) })) emit(line);
  }
  // End to end through a real broker into the embedded store, as `shadow-ai start` runs it.
  if (!only || only === 'kafka') {
    const e2eLines = Number(process.env.BENCH_E2E_LINES ?? 200_000);
    for (const line of await benchKafkaE2e({ lines: e2eLines, linesPerMessage: 100, hosts: hostAt })) emit(line);
  }

  // API latency on a store of BENCH_API_EVENTS generated events (50 million unless told otherwise).
  if (!only || only === 'api') {
    const events = Number(process.env.BENCH_API_EVENTS ?? 50_000_000);
    for (const line of await benchApiLatency({ events, requests: Number(process.env.BENCH_API_REQUESTS ?? 200) })) emit(line);
  }

  const hosts = Array.from({ length: 1_000_000 }, (_, i) => hostAt(i * 7 + (i >> 3)));
  const map = new Map(aiHosts.map((h) => [h, h]));
  const mapRate = await rate(() => {
    let hit = 0;
    for (const h of hosts) if (map.get(h) !== undefined) hit++;
    return hit >= 0 ? hosts.length : 0;
  });
  const lookupRate = await rate(() => {
    let hit = 0;
    for (const h of hosts) if (catalog.matcher.lookupHost(normalizeHost(h)!)) hit++;
    if (hit === 0) throw new Error('no lookups matched');
    return hosts.length;
  });
  emit({
    bench: 'catalog.host_lookup',
    unit: 'lookups/s',
    value: Math.round(lookupRate.perSec),
    baseline: { name: 'map_get_same_hosts', unit: 'lookups/s', value: Math.round(mapRate.perSec) },
    ratio: Number((lookupRate.perSec / mapRate.perSec).toFixed(3)),
    apps: catalog.apps.length,
  });
  emit({ bench: 'process.peak_rss', unit: 'bytes', value: peakRss });
} finally {
  clearInterval(rssTimer);
  rmSync(dir, { recursive: true, force: true });
}
