import { parseArgs } from 'node:util';
import { detectFormat, createParser, parseLines, FORMATS, readLineChunks, sampleLines } from '@shadow-ai/ingest';
import type { LineParser, NormalizedEvent } from '@shadow-ai/core';
import { UsageError, type Io } from '../io.ts';

export const PARSE_HELP = `Usage: shadow-ai parse --format FMT|auto FILE...

Parses log files into NormalizedEvents: one JSON object per parsed line on stdout (NDJSON),
one "FILE:LINE: reason" per rejected line on stderr.

Options:
  --format FMT   ${FORMATS.join(', ')}, or auto (detected per file from its first lines; default)
  -h, --help     this text

Exit status: 0 when every line parsed, 1 when some line was rejected, 2 on a usage error.
`;

export interface FileInput {
  file: string;
  format: string;
  parser: LineParser;
}

/** Resolves the parser for each file; `auto` looks at the file's first lines. */
export async function resolveFormats(files: string[], format: string, io: Io): Promise<FileInput[]> {
  const out: FileInput[] = [];
  for (const file of files) {
    let chosen = format;
    if (format === 'auto') {
      const detected = detectFormat(await sampleLines(file));
      if (!detected) throw new UsageError(`${file}: could not detect the log format; pass --format (${FORMATS.join(', ')})`);
      chosen = detected;
      io.err(`${file}: format ${detected} (auto-detected)\n`);
    }
    const parser = createParser(chosen);
    if (!parser) throw new UsageError(`unknown format "${chosen}"; known: ${FORMATS.join(', ')}, auto`);
    out.push({ file, format: chosen, parser });
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
  afterChunk: () => Promise<void> = async () => {},
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
      await afterChunk();
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
    options: { format: { type: 'string', default: 'auto' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.out(PARSE_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('parse needs at least one FILE');
  const inputs = await resolveFormats(positionals, values.format, io);
  let rejected = 0;
  await forEachParsed(
    inputs,
    64 * 1024,
    (e) => io.out(JSON.stringify(e) + '\n'),
    (file, line, reason) => {
      rejected++;
      io.err(`${file}:${line}: ${reason}\n`);
    },
    io.flush,
  );
  return rejected > 0 ? 1 : 0;
}
