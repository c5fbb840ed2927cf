/**
 * Parse+classify throughput per log format, on files built from the format fixtures
 * (test/fixtures/formats/<format>.log): the fixture's header lines once at the top, then its event lines
 * repeated. Each measurement carries the baseline of reading and splitting the same file, as in run.ts:
 * compare ratios, not absolute numbers across runs.
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCatalog } from '@shadow-ai/catalog';
import { createClassifyStep, type ClassifyStep } from '@shadow-ai/detect';
import { createParser, parseLines, readLineChunks } from '@shadow-ai/ingest';

const FIXTURES = fileURLToPath(new URL('../test/fixtures/formats/', import.meta.url));
const WRITE_BLOCK = 50_000;

/** A fixture split the way its parser sees it: header lines (skips) and event lines. */
function readFixture(format: string): { headers: string[]; events: string[] } {
  const parse = createParser(format);
  if (!parse) throw new Error(`bench: format ${format} has a fixture but is not registered in PARSERS`);
  const ctx = { receivedAt: new Date() };
  const headers: string[] = [];
  const events: string[] = [];
  for (const line of readFileSync(join(FIXTURES, `${format}.log`), 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const r = parse(line, ctx);
    if (r.ok) events.push(line);
    else if (r.skip) headers.push(line);
    else throw new Error(`bench: fixture line of ${format} rejected: ${r.reason}`);
  }
  if (events.length === 0) throw new Error(`bench: fixture ${format} has no event lines`);
  return { headers, events };
}

/** `lines` lines in all: the headers, then the event lines over and over; written in blocks. */
function writeBenchFile(path: string, fixture: { headers: string[]; events: string[] }, lines: number): void {
  writeFileSync(path, fixture.headers.length > 0 ? fixture.headers.join('\n') + '\n' : '');
  const total = Math.max(lines - fixture.headers.length, 1);
  for (let start = 0; start < total; start += WRITE_BLOCK) {
    const block: string[] = [];
    for (let i = start; i < Math.min(total, start + WRITE_BLOCK); i++) block.push(fixture.events[i % fixture.events.length]!);
    appendFileSync(path, block.join('\n') + '\n');
  }
}

async function rate(rounds: number, fn: () => Promise<number>): Promise<{ perSec: number; items: number }> {
  const samples: { perSec: number; items: number }[] = [];
  for (let r = 0; r < Math.max(1, rounds); r++) {
    const t = process.hrtime.bigint();
    const items = await fn();
    const secs = Number(process.hrtime.bigint() - t) / 1e9;
    samples.push({ perSec: items / secs, items });
  }
  samples.sort((a, b) => a.perSec - b.perSec);
  return samples[Math.floor(samples.length / 2)]!;
}

export async function benchFormats(opts: { rounds: number; lines: number }): Promise<Record<string, unknown>[]> {
  const catalog = loadCatalog();
  const classify = createClassifyStep({ catalog: { current: catalog } });
  const decoder = new TextDecoder('utf-8', { fatal: true });

  const readBaseline = async (path: string): Promise<number> => {
    let n = 0;
    for await (const chunk of readLineChunks(path)) {
      for (const line of decoder.decode(chunk.buffer).split('\n')) if (line.length > 0) n++;
    }
    return n;
  };

  const parseClassify = (path: string, format: string) => parseClassifyFile(path, format, classify);

  const formats = readdirSync(FIXTURES).filter((f) => f.endsWith('.log')).map((f) => f.slice(0, -4)).sort();
  const dir = mkdtempSync(join(tmpdir(), 'shadow-ai-bench-formats-'));
  const results: Record<string, unknown>[] = [];
  try {
    for (const format of formats) {
      const file = join(dir, `${format}.log`);
      writeBenchFile(file, readFixture(format), opts.lines);
      try {
        const baseline = await rate(opts.rounds, () => readBaseline(file));
        const measured = await rate(opts.rounds, () => parseClassify(file, format));
        // The parser alone, on lines already split into strings: what the ≥ 200k lines/s target is about.
        const text = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
        const parseOnly = await rate(opts.rounds, async () => {
          const parser = createParser(format)!;
          const ctx = { receivedAt: new Date() };
          let ok = 0;
          for (const line of text) if (parser(line, ctx).ok) ok++;
          return ok;
        });
        results.push({
          bench: `${format}.parse`,
          unit: 'lines/s',
          value: Math.round(parseOnly.perSec),
          baseline: { name: 'read_and_split_lines', unit: 'lines/s', value: Math.round(baseline.perSec) },
          ratio: Number((parseOnly.perSec / baseline.perSec).toFixed(3)),
          lines: text.length,
        });
        results.push({
          bench: `${format}.parse_classify`,
          unit: 'events/s',
          value: Math.round(measured.perSec),
          baseline: { name: 'read_and_split_lines', unit: 'lines/s', value: Math.round(baseline.perSec) },
          ratio: Number((measured.perSec / baseline.perSec).toFixed(3)),
          lines: measured.items,
        });
      } finally {
        rmSync(file, { force: true });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/** Parses and classifies a file with a fresh parser instance; returns the events (fails if none is AI). */
export async function parseClassifyFile(path: string, format: string, classify: ClassifyStep): Promise<number> {
  // A fresh instance per run: header lines set up the stateful parsers (Zeek, ProxySG …) as in a stream.
  const parser = createParser(format)!;
  const ctx = { receivedAt: new Date() };
  let ai = 0;
  let events = 0;
  for await (const chunk of readLineChunks(path)) {
    const r = parseLines(chunk.buffer, parser, ctx, { maxLineBytes: 65536 });
    for (const e of r.events) if (classify(e.event)) ai++;
    events += r.events.length;
    if (r.rejects.length > 0) throw new Error(`bench input of ${format} rejected: ${r.rejects[0]!.reason}`);
  }
  if (ai === 0) throw new Error(`no AI events classified in ${format}: the bench would measure nothing`);
  return events;
}
