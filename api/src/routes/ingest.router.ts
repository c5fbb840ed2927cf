import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parserOptionsFor } from '@shadow-ai/core';
import { FORMATS, isFormat, parseLines, resolveParser, type DeadLetter, type SourcedEvent } from '@shadow-ai/ingest';
import { isValidTimeZone } from '@shadow-ai/core';
import type { ApiDeps } from '../deps.ts';
import { errorSchema, HttpError } from '../errors.ts';

const MAX_REJECTS_SHOWN = 20;

/**
 * POST log lines over HTTP. The batch id (the Idempotency-Key header, else the SHA-256 of the body)
 * is the source id: re-sending a batch skips the lines already stored, so a client that retries after
 * a timeout never double counts. Unparseable lines go to the dead_letters table with their reason.
 */
export const ingestRouter =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    // Lines are bytes until proven UTF-8: take every content type as a raw buffer.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.config.INGEST_MAX_BODY_BYTES }, (_req, body, done) =>
      done(null, body),
    );

    app.post(
      '/v1/ingest/:format',
      { config: { access: 'analyst' },
        bodyLimit: deps.config.INGEST_MAX_BODY_BYTES,
        schema: {
          summary: 'Ingest log lines (one per line) in the named format',
          description: `Formats: ${FORMATS.join(', ')}. Send the lines as the raw body (any content type).`,
          tags: ['ingest'],
          params: z.object({ format: z.string().min(1).max(40).describe('a format id, or auto (detected from the first lines)') }),
          querystring: z.strictObject({
            timeZone: z.string().max(64).refine(isValidTimeZone, 'unknown IANA time zone').optional().describe('zone of timestamps without an offset'),
          }),
          headers: z.looseObject({ 'idempotency-key': z.string().min(1).max(200).optional() }),
          response: {
            200: z.object({
              batchId: z.string(),
              format: z.string().describe('the format used (the detected one with auto)'),
              parsed: z.number().describe('lines that parsed into events'),
              stored: z.number().describe('events classified as AI app traffic and stored'),
              rejected: z.number().describe('lines sent to the dead-letter table'),
              skipped: z.number().describe('lines of this batch already stored by an earlier delivery'),
              rejects: z.array(z.object({ line: z.number().describe('1-based'), reason: z.string() })),
            }),
            400: errorSchema,
            413: errorSchema,
          },
        },
      },
      async (req) => {
        const requested = req.params.format;
        if (requested !== 'auto' && !isFormat(requested)) {
          throw new HttpError(400, 'unknown_format', `unknown format "${requested}"; known: ${FORMATS.join(', ')}, auto`);
        }
        const body = req.body;
        if (!Buffer.isBuffer(body) || body.length === 0) throw new HttpError(400, 'bad_request', 'empty body: send log lines');
        const sample = () => body.subarray(0, 64 * 1024).toString('utf8').split('\n').filter((l) => l.trim() !== '').slice(0, 200);
        const resolved = resolveParser(requested, sample, parserOptionsFor(deps.config, req.query.timeZone));
        if (!resolved) throw new HttpError(400, 'unknown_format', 'no known log format matches the first lines; name the format');
        const { format, parse: parser } = resolved;
        const batchId = req.headers['idempotency-key'] ?? createHash('sha256').update(body).digest('hex');
        const src = `http:${batchId}`;
        const done = await deps.sink.storedPosition(src);
        const chunk = parseLines(body, parser, { receivedAt: new Date() }, { maxLineBytes: deps.config.INGEST_MAX_LINE_BYTES });

        const events: SourcedEvent[] = [];
        let skipped = 0;
        for (const e of chunk.events) {
          if (done !== null && e.line <= done) skipped++;
          else events.push({ src, offset: e.line, line: e.line, event: e.event });
        }
        const letters: DeadLetter[] = chunk.rejects.map((r) => ({ src, offset: r.line, line: r.line, format, reason: r.reason, raw: r.raw }));
        await deps.sink.storeDeadLetters(letters);
        const { stored } = await deps.sink.store(events);

        const m = deps.metrics;
        m.lines.inc({ source: 'http', format, outcome: 'parsed' }, events.length);
        m.lines.inc({ source: 'http', format, outcome: 'rejected' }, letters.length);
        m.lines.inc({ source: 'http', format, outcome: 'skipped_replay' }, skipped);
        m.deadLetters.inc({ source: 'http', destination: 'table' }, letters.length);
        m.aiEvents.inc({ source: 'http' }, stored);
        if (letters.length > 0) req.log.info({ batchId, rejected: letters.length }, 'lines dead-lettered');
        return {
          batchId,
          format,
          parsed: chunk.events.length,
          stored,
          rejected: letters.length,
          skipped,
          rejects: chunk.rejects.slice(0, MAX_REJECTS_SHOWN).map((r) => ({ line: r.line + 1, reason: r.reason })),
        };
      },
    );
  };
