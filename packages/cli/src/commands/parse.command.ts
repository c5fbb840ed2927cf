import { parseArgs } from 'node:util';
import { FORMATS, isFormat, parseLines, readLineChunks, resolveParser, sampleLines } from '@shadow-ai/ingest';
import { isValidTimeZone, type ParserOptions } from '@shadow-ai/core';
import type { LineParser, NormalizedEvent } from '@shadow-ai/core';
import { UsageError, type Io } from '../io.ts';

/** Options shared by the commands that read log files. */
export const FILE_OPTIONS = {
  format: { type: 'string', default: 'auto' },
  'time-zone': { type: 'string' },
  logformat: { type: 'string' },
  'field-map': { type: 'string' },
} as const;

export const FILE_OPTIONS_HELP = `  --format FMT        ${FORMATS.join(', ')}, or auto (detected per file from its first lines; default)
  --time-zone ZONE    IANA zone of timestamps without an offset (default UTC)
  --logformat DIR     the squid.conf logformat directive, for --format squid-custom
  --field-map JSON    {"ts":"@timestamp","host":"destination.domain",…}, for --format json`;

export const PARSE_HELP = `Usage: shadow-ai parse --format FMT|auto FILE...

Parses log files into NormalizedEvents: one JSON object per parsed line on stdout (NDJSON),
one "FILE:LINE: reason" per rejected line on stderr.

Options:
${FILE_OPTIONS_HELP}
  -h, --help          this text

Exit status: 0 when every line parsed, 1 when some line was rejected, 2 on a usage error.
`;

export interface FileInput {
  file: string;
  format: string;
  parser: LineParser;
}

export function parserOptionsFromArgs(values: { 'time-zone'?: string; logformat?: string; 'field-map'?: string }): ParserOptions {
  const opts: ParserOptions = {};
  if (values['time-zone']) {
    if (!isValidTimeZone(values['time-zone'])) throw new UsageError(`unknown time zone "${values['time-zone']}"`);
    opts.timeZone = values['time-zone'];
  }
  if (values.logformat) opts.squidLogformat = values.logformat;
  if (values['field-map']) {
    try {
      opts.fieldMap = JSON.parse(values['field-map']) as ParserOptions['fieldMap'];
    } catch {
      throw new UsageError('--field-map is not valid JSON');
    }
  }
  return opts;
}

/** Resolves the parser for each file; `auto` looks at the file's first lines. One instance per file. */
export async function resolveFormats(files: string[], format: string, io: Io, opts: ParserOptions = {}): Promise<FileInput[]> {
  if (format !== 'auto' && !isFormat(format)) throw new UsageError(`unknown format "${format}"; known: ${FORMATS.join(', ')}, auto`);
  const out: FileInput[] = [];
  for (const file of files) {
    const sample = await sampleLines(file);
    let resolved;
    try {
      resolved = resolveParser(format, () => sample, opts);
    } catch (e) {
      throw new UsageError(`--format ${format}: ${(e as Error).message}`);
    }
    if (!resolved) throw new UsageError(`${file}: could not detect the log format; pass --format (${FORMATS.join(', ')})`);
    if (format === 'auto') io.err(`${file}: format ${resolved.format} (auto-detected)\n`);
    out.push({ file, format: resolved.format, parser: resolved.parse });
  }
  return out;
}

export interface FileCounts {
  file: string;
  format: string;
  lines: number;
  parsed: number;
  rejected: number;
}

/** Streams every file through its parser; calls back per event and per rejected line. */
export async function forEachParsed(
  inputs: FileInput[],
  maxLineBytes: number,
  onEvent: (e: NormalizedEvent) => void,
  onReject: (file: string, line: number, reason: string) => void,
  /** after each chunk, with its size in bytes (progress) */
  afterChunk: (bytes: number) => Promise<void> = async () => {},
): Promise<FileCounts[]> {
  const counts: FileCounts[] = [];
  for (const input of inputs) {
    const c: FileCounts = { file: input.file, format: input.format, lines: 0, parsed: 0, rejected: 0 };
    const ctx = { receivedAt: new Date() };
    for await (const chunk of readLineChunks(input.file)) {
      const result = parseLines(chunk.buffer, input.parser, ctx, { maxLineBytes });
      for (const e of result.events) onEvent(e.event);
      for (const r of result.rejects) onReject(input.file, chunk.firstLine + r.line + 1, r.reason);
      c.parsed += result.events.length;
      c.rejected += result.rejects.length;
      await afterChunk(chunk.buffer.length);
    }
    c.lines = c.parsed + c.rejected;
    counts.push(c);
  }
  return counts;
}

export async function parseCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...FILE_OPTIONS, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.out(PARSE_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('parse needs at least one FILE');
  const inputs = await resolveFormats(positionals, values.format, io, parserOptionsFromArgs(values));
  let rejected = 0;
  await forEachParsed(
    inputs,
    64 * 1024,
    (e) => io.out(JSON.stringify(e) + '\n'),
    (file, line, reason) => {
      rejected++;
      io.err(`${file}:${line}: ${reason}\n`);
    },
    () => io.flush(),
  );
  return rejected > 0 ? 1 : 0;
}
