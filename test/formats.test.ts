/**
 * One realistic fixture per log format (test/fixtures/formats/<format>.log): every line parses with its format
 * (header lines are skips), the shipped catalog finds AI apps in it, `--format auto` picks the format from the
 * file's first lines, and the registry (PARSERS) and the fixtures cover each other. Formats that need
 * configuration (json's field map, squid-custom's logformat) have no fixture: they are never auto-detected.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LineParser, ParserFactory } from '@shadow-ai/core';
import { loadCatalog } from '@shadow-ai/catalog';
import { createParser, detectFormat, isFormat, PARSERS } from '@shadow-ai/ingest';
import { describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT } from './support/service.ts';
// Each parser file's own factory: used for a fixture whose format index.ts does not register (yet).

const FIXTURES = join(REPO_ROOT, 'test/fixtures/formats');
const PARSER_DIR = join(REPO_ROOT, 'ingest/src/parsers');
/** Formats that cannot be used without configuration: no fixture, never detected. */
const NEEDS_CONFIG: ReadonlySet<string> = new Set(['json', 'squid-custom']);
/** As many non-empty lines as `--format auto` looks at (sampleLines' default). */
const SAMPLE_LINES = 200;

/** The registry is the source of truth: a fixture is parsed by the factory its format is registered with. */
const FACTORIES: Readonly<Record<string, ParserFactory>> = PARSERS;

/** The lines of a fixture that are headers (a skip, not an event), by format; other formats have none. */
const isZeekHeader = (line: string): boolean => line.startsWith('#');
const HEADER: Readonly<Record<string, (line: string) => boolean>> = {
  'zeek-dns': isZeekHeader,
  'zeek-http': isZeekHeader,
  'zeek-ssl': isZeekHeader,
  // W3C ELFF directives: #Software, #Version, #Date, #Fields, #Remark.
  proxysg: (line) => line.startsWith('#'),
  // The debug log's file head and field legend; packet lines start with the date.
  'windows-dns': (line) => !/^\d/.test(line),
};

const fixtureFormats = readdirSync(FIXTURES).filter((f) => f.endsWith('.log')).map((f) => f.slice(0, -4)).sort();
const catalog = loadCatalog();
const ctx = { receivedAt: new Date('2026-11-25T12:00:00.000Z') };

function nonEmptyLines(format: string): string[] {
  const text = readFileSync(join(FIXTURES, `${format}.log`), 'utf8');
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** The registered parser, else the parser file's own factory (a format still to be registered). */
function parserFor(format: string): LineParser {
  const registered = createParser(format);
  if (registered) return registered;
  const factory = FACTORIES[format];
  if (!factory) throw new Error(`no parser factory known for fixture format ${format}`);
  return factory();
}

describe('format fixtures ↔ registry', () => {
  it('has a fixture for every registered format that needs no configuration', () => {
    const missing = Object.keys(PARSERS).filter((f) => !NEEDS_CONFIG.has(f) && !fixtureFormats.includes(f));
    expect(missing, 'registered formats without test/fixtures/formats/<format>.log').toEqual([]);
  });

  it('has every fixture format registered in PARSERS', () => {
    const unregistered = fixtureFormats.filter((f) => !isFormat(f));
    expect(unregistered, 'fixtures whose format index.ts does not register').toEqual([]);
  });

  it('has a fixture for every parser file', () => {
    const bases = readdirSync(PARSER_DIR).filter((f) => f.endsWith('.parser.ts')).map((f) => f.slice(0, -'.parser.ts'.length));
    const uncovered = bases.filter((b) => !NEEDS_CONFIG.has(b) && !fixtureFormats.some((f) => f === b || f.startsWith(`${b}-`)));
    expect(uncovered, 'parser files without a fixture').toEqual([]);
    expect(fixtureFormats.filter((f) => !FACTORIES[f]), 'fixtures without a factory in this test').toEqual([]);
  });
});

describe.each(fixtureFormats)('fixture %s.log', (format) => {
  const lines = nonEmptyLines(format);
  const isHeader = HEADER[format] ?? (() => false);

  it('is plain text with LF line ends', () => {
    const raw = readFileSync(join(FIXTURES, `${format}.log`));
    expect(raw.includes(13), 'CR in the file').toBe(false);
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(raw)).not.toThrow();
    expect(raw.at(-1), 'file ends with a newline').toBe(10);
  });

  it('parses every line: headers are skips, every other line an event of this format', () => {
    const parse = parserFor(format);
    const problems: string[] = [];
    let events = 0;
    for (const [i, line] of lines.entries()) {
      const r = parse(line, ctx);
      if (isHeader(line)) {
        if (r.ok || !r.skip) problems.push(`line ${i + 1} (header): expected a skip, got ${r.ok ? 'an event' : r.reason}`);
      } else if (!r.ok) {
        problems.push(`line ${i + 1}: ${r.reason}${r.skip ? ' (skip)' : ''}: ${line.slice(0, 160)}`);
      } else {
        events++;
        if (r.event.format !== format) problems.push(`line ${i + 1}: event.format ${r.event.format}`);
      }
    }
    expect(problems).toEqual([]);
    expect(events).toBeGreaterThanOrEqual(8);
    expect(events).toBeLessThanOrEqual(15);
  });

  it('has lines to AI apps of the shipped catalog and lines to ordinary hosts', () => {
    const parse = parserFor(format);
    const apps = new Set<string>();
    let ordinary = 0;
    for (const line of lines) {
      const r = parse(line, ctx);
      if (!r.ok) continue;
      const { host, url, method, userAgent, kind } = r.event;
      const match = catalog.matcher.match({ host, url, method, userAgent, kind });
      if (match) apps.add(match.app.id);
      else if (host !== null) ordinary++;
    }
    expect(apps.size, 'AI apps found').toBeGreaterThan(0);
    expect(ordinary, 'events to hosts that are not AI apps').toBeGreaterThan(0);
  });

  it(`is auto-detected from its first ${SAMPLE_LINES} non-empty lines`, () => {
    expect(isFormat(format), `${format} is not registered in PARSERS (ingest/src/parsers/index.ts)`).toBe(true);
    const sample = lines.slice(0, SAMPLE_LINES);
    const dataLines = sample.filter((l) => !isHeader(l)).length;
    expect(detectFormat(sample), `detectFormat over ${sample.length} sample lines, ${dataLines} of them not headers`)
      .toBe(format);
  });
});

describe('shadow-ai parse --format auto on fixtures', () => {
  it.each(['squid', 'proxysg', 'zeek-ssl'])('detects %s and writes one JSON line per event', (format) => {
    const file = join(FIXTURES, `${format}.log`);
    const r = spawnSync(process.execPath, [CLI, 'parse', '--format', 'auto', file], {
      cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, SHADOW_AI_SANCTIONS_FILE: '' },
    });
    expect(r.stderr).toContain(`${file}: format ${format} (auto-detected)`);
    expect(r.status, r.stderr).toBe(0);
    const isHeader = HEADER[format] ?? (() => false);
    const expected = nonEmptyLines(format).filter((l) => !isHeader(l)).length;
    const out = r.stdout.split('\n').filter((l) => l !== '');
    expect(out).toHaveLength(expected);
    for (const l of out) expect((JSON.parse(l) as { format: string }).format).toBe(format);
  });
});
