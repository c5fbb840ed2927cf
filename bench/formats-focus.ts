/**
 * A narrower `BENCH_ONLY=formats`: parse+classify for a few formats only (FOCUS_FORMATS, comma-separated), on the
 * same kind of file (the fixture's event lines repeated), with the same read+split baseline, the two measured
 * alternately per round so that load from other jobs hits both alike. For iterating on one parser:
 *   FOCUS_FORMATS=cef,leef node --import tsx bench/formats-focus.ts
 * `PROFILE_FORMAT=cef` instead parses that format's lines in a loop for a CPU profile (`node --cpu-prof`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCatalog } from '@shadow-ai/catalog';
import { createClassifyStep } from '@shadow-ai/detect';
import { createParser, readLineChunks } from '@shadow-ai/ingest';
import { parseClassifyFile } from './formats.ts';

const FIXTURES = fileURLToPath(new URL('../test/fixtures/formats/', import.meta.url));
const LINES = Number(process.env.BENCH_FORMAT_LINES ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

function eventLines(format: string): string[] {
  const parse = createParser(format)!;
  const ctx = { receivedAt: new Date() };
  return readFileSync(join(FIXTURES, `${format}.log`), 'utf8').split('\n').filter((l) => l.trim() !== '' && parse(l, ctx).ok);
}

function benchLines(format: string): string[] {
  const events = eventLines(format);
  return Array.from({ length: LINES }, (_, i) => events[i % events.length]!);
}

async function readBaseline(path: string, decoder: TextDecoder): Promise<number> {
  let n = 0;
  for await (const chunk of readLineChunks(path)) {
    for (const line of decoder.decode(chunk.buffer).split('\n')) if (line.length > 0) n++;
  }
  return n;
}

async function timed(fn: () => Promise<number>): Promise<number> {
  const t = process.hrtime.bigint();
  const items = await fn();
  return items / (Number(process.hrtime.bigint() - t) / 1e9);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function focus(formats: string[]): Promise<void> {
  const classify = createClassifyStep({ catalog: { current: loadCatalog() } });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const dir = mkdtempSync(join(tmpdir(), 'shadow-ai-bench-focus-'));
  try {
    for (const format of formats) {
      const file = join(dir, `${format}.log`);
      writeFileSync(file, benchLines(format).join('\n') + '\n');
      const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
      const base: number[] = [];
      const measured: number[] = [];
      const parseOnly: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        base.push(await timed(() => readBaseline(file, decoder)));
        measured.push(await timed(() => parseClassifyFile(file, format, classify)));
        parseOnly.push(await timed(async () => parseAll(format, lines)));
      }
      const value = median(measured);
      const baseline = median(base);
      process.stdout.write(JSON.stringify({
        bench: `${format}.parse_classify`, unit: 'events/s', value: Math.round(value), best: Math.round(Math.max(...measured)),
        baseline: Math.round(baseline), ratio: Number((value / baseline).toFixed(3)), parseOnly: Math.round(median(parseOnly)),
        rounds: ROUNDS,
      }) + '\n');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The parser alone on lines already split into strings, as the `.parse` lines of `BENCH_ONLY=formats`. */
function parseAll(format: string, lines: readonly string[]): number {
  const parser = createParser(format)!;
  const ctx = { receivedAt: new Date() };
  let ok = 0;
  for (const line of lines) if (parser(line, ctx).ok) ok++;
  return ok;
}

function profileLoop(format: string): void {
  // Strings of their own, as parseLines hands long lines to the parser (not views into one big string).
  const lines = benchLines(format).map((l) => Buffer.from(l).toString());
  let ok = 0;
  for (let r = 0; r < ROUNDS; r++) ok += parseAll(format, lines);
  process.stdout.write(`${format}: ${ok} events parsed\n`);
}

const profiled = process.env.PROFILE_FORMAT;
if (profiled) profileLoop(profiled);
else await focus((process.env.FOCUS_FORMATS ?? 'cef,leef,fortigate,checkpoint').split(','));
