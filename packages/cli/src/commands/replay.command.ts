import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readLineChunks } from '@shadow-ai/ingest';
import type { LineParser } from '@shadow-ai/core';
import { UsageError, type Io } from '../io.ts';
import { stderrProgress } from '../progress.ts';
import { parserOptionsFromArgs, resolveFormats } from './parse.command.ts';

export const REPLAY_HELP = `Usage: shadow-ai replay FILE… --to URL [options]

Sends log files to a running service (POST /v1/ingest/FORMAT) in batches of whole lines: a backfill of
old logs, or a re-run after a failure. Each batch is identified by its content, so replaying the same
file again with the same --batch-bytes stores nothing twice (other batch sizes cut other batches).
Header lines (Zeek and ProxySG #fields, the Windows DNS legend) are sent again with every batch.
The credential comes from the environment, never from the command line: SHADOW_AI_API_KEY
(an analyst or admin API key), else SHADOW_AI_ADMIN_TOKEN.

Options:
  --to URL            the service, e.g. http://127.0.0.1:8080
  --format FMT|auto   the log format (default auto: detected per file)
  --batch-bytes N     most bytes per request (default 4194304; the service refuses above INGEST_MAX_BODY_BYTES)
  --time-zone ZONE    zone of timestamps without an offset (default: the service's INGEST_TIMEZONE)
  --logformat DEF     squid-custom, json: what the service is configured with (INGEST_SQUID_LOGFORMAT,
  --field-map JSON    INGEST_JSON_FIELD_MAP); the service parses with its own, these only find headers here
  --quiet             no progress on stderr (a bar on a terminal, plain lines when piped)
  -h, --help          this text

Prints one JSON line per file on stdout: batches, lines, parsed, stored (AI events stored now), skipped
(lines the service had already taken in an earlier delivery of the same batch), rejected (dead-lettered).
Exit status 1 when the service refuses a batch (the error says why) or cannot be reached.
`;

/** Lines a parser skips (headers such as #Fields) that later lines depend on: sent again with each batch. */
const MAX_HEADER_LINES = 100;

interface IngestAnswer {
  parsed: number;
  stored: number;
  rejected: number;
  skipped: number;
  format: string;
}

export async function replayCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      to: { type: 'string' },
      format: { type: 'string', default: 'auto' },
      'batch-bytes': { type: 'string', default: String(4 * 1024 * 1024) },
      'time-zone': { type: 'string' },
      logformat: { type: 'string' },
      'field-map': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(REPLAY_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('replay needs at least one FILE');
  if (!values.to) throw new UsageError('--to URL is required (the running service)');
  let base: URL;
  try {
    base = new URL(values.to);
  } catch {
    throw new UsageError(`--to: not a URL: ${values.to}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new UsageError('--to must be an http or https URL');
  const batchBytes = Number(values['batch-bytes']);
  if (!Number.isInteger(batchBytes) || batchBytes < 1024) throw new UsageError('--batch-bytes must be a whole number of at least 1024');
  const credential = env.SHADOW_AI_API_KEY || env.SHADOW_AI_ADMIN_TOKEN;
  if (!credential) throw new UsageError('set SHADOW_AI_API_KEY (or SHADOW_AI_ADMIN_TOKEN) to an analyst or admin credential');

  const inputs = await resolveFormats(positionals, values.format, io, parserOptionsFromArgs(values));
  const total = inputs.reduce((sum, i) => sum + statSync(i.file).size, 0);
  const progress = stderrProgress('replay', total, 'bytes', io.err, values.quiet);
  const decoder = new TextDecoder('utf-8');
  try {
    for (const input of inputs) {
      const sums = { file: input.file, format: input.format, batches: 0, lines: 0, parsed: 0, stored: 0, skipped: 0, rejected: 0 };
      const headers = new HeaderTracker(input.parser);
      for await (const chunk of readLineChunks(input.file, batchBytes)) {
        // The header lines in force where this batch starts (the service parses each batch afresh).
        const prefix = sums.batches === 0 ? '' : headers.current();
        const text = decoder.decode(chunk.buffer);
        headers.follow(text);
        const body = prefix.length > 0 ? Buffer.concat([Buffer.from(prefix), chunk.buffer]) : chunk.buffer;
        const query = values['time-zone'] ? `?timeZone=${encodeURIComponent(values['time-zone'])}` : '';
        const answer = await postBatch(new URL(`/v1/ingest/${input.format}${query}`, base), body, credential);
        sums.batches++;
        sums.lines += countLines(text);
        sums.parsed += answer.parsed;
        sums.stored += answer.stored;
        sums.skipped += answer.skipped;
        sums.rejected += answer.rejected;
        progress.add(chunk.buffer.length, input.file);
      }
      io.out(`${JSON.stringify(sums)}\n`);
    }
  } finally {
    progress.finish();
  }
  return 0;
}

function countLines(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (line.trim() !== '') n++;
  return n;
}

/**
 * Follows a file through the format's own parser and keeps the latest run of lines it skips before
 * data (ProxySG and Zeek `#Fields`, the Windows DNS legend), so that every batch carries the header
 * its lines are read with.
 */
class HeaderTracker {
  private block: string[] = [];
  private inBlock = false;
  private readonly ctx = { receivedAt: new Date() };

  constructor(private readonly parser: LineParser) {}

  follow(text: string): void {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const r = this.parser(line.replace(/\r$/, ''), this.ctx);
      if (!r.ok && r.skip) {
        if (!this.inBlock) this.block = [];
        this.inBlock = true;
        if (this.block.length < MAX_HEADER_LINES) this.block.push(line);
      } else {
        this.inBlock = false;
      }
    }
  }

  current(): string {
    return this.block.length > 0 ? `${this.block.join('\n')}\n` : '';
  }
}

async function postBatch(url: URL, body: Buffer, credential: string): Promise<IngestAnswer> {
  let lastError = '';
  for (let attempt = 0; attempt < 4; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', body: new Uint8Array(body), headers: { authorization: `Bearer ${credential}`, 'content-type': 'text/plain' } });
    } catch (e) {
      lastError = `cannot reach ${url.origin}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`;
      continue;
    }
    const text = await res.text();
    if (res.ok) return JSON.parse(text) as IngestAnswer;
    const message = safeMessage(text);
    // 429 and 5xx may pass; anything else is this batch's or this credential's problem: stop here.
    if (res.status !== 429 && res.status < 500) throw new ReplayError(`the service refused a batch: ${res.status} ${message}`);
    lastError = `${res.status} ${message}`;
  }
  throw new ReplayError(`giving up after 4 attempts: ${lastError}`);
}

function safeMessage(text: string): string {
  try {
    const j = JSON.parse(text) as { message?: unknown };
    if (typeof j.message === 'string') return j.message;
  } catch {
    // not JSON: show the start of it
  }
  return text.slice(0, 200);
}

/** A replay that cannot go on: exit status 1 with the message. */
export class ReplayError extends Error {
  override name = 'ReplayError';
}
