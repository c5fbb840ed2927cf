import { writeSync } from 'node:fs';
import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Config, LineParser, Logger, Metrics } from '@shadow-ai/core';
import { ensureTopics } from '@shadow-ai/kafka';
import { countLines, parseLines } from '../lines.ts';
import { parserOptionsFor } from '@shadow-ai/core';
import { isFormat, resolveParser } from '../parsers/index.ts';
import type { DeadLetter, EventSink, SourcedEvent } from '../sink.ts';

export type LogConsumerConfig = Pick<
  Config,
  | 'KAFKA_GROUP_ID' | 'KAFKA_TOPICS' | 'KAFKA_SESSION_TIMEOUT_MS' | 'KAFKA_DLQ_SUFFIX' | 'KAFKA_PARTITIONS_CONCURRENTLY' | 'INGEST_BATCH_SIZE'
  | 'INGEST_MAX_LINE_BYTES' | 'INGEST_STORE_RETRY_MS' | 'SHADOW_AI_FAILPOINT' | 'KAFKA_TOPIC_TIMEZONES' | 'INGEST_TIMEZONE'
  | 'INGEST_JSON_FIELD_MAP' | 'INGEST_SQUID_LOGFORMAT'
>;

export interface LogConsumerDeps {
  kafka: Kafka;
  config: LogConsumerConfig;
  sink: EventSink;
  log: Logger;
  metrics: Metrics;
}

export interface LogConsumer {
  stop(): Promise<void>;
  /** Why the consumer stopped consuming (a crash kafkajs will not restart), or null while it runs. */
  failure(): string | null;
}

/** Dead-letter headers: the reason and where the line came from, so a DLQ reader can replay or dedupe. */
export const DLQ_HEADERS = {
  reason: 'x-shadow-ai-reason',
  topic: 'x-shadow-ai-source-topic',
  partition: 'x-shadow-ai-source-partition',
  offset: 'x-shadow-ai-source-offset',
  line: 'x-shadow-ai-source-line',
  format: 'x-shadow-ai-format',
} as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Consumes the log topics in one consumer group. Per batch: split messages into lines, parse, send
 * rejected lines to `<topic>.dlq`, hand events to the sink, and only after the sink has stored them
 * resolve the offsets of the messages processed. A message whose offset is at or below the sink's
 * stored position for the partition was stored before a crash and is skipped, so a replay counts
 * nothing twice.
 */
export async function startLogConsumer(deps: LogConsumerDeps): Promise<LogConsumer> {
  const { kafka, config, sink, log, metrics } = deps;
  const formats = new Map<string, string>();
  for (const { topic, format } of config.KAFKA_TOPICS) {
    if (format !== 'auto' && !isFormat(format)) throw new Error(`KAFKA_TOPICS: unknown format "${format}" for topic ${topic}`);
    formats.set(topic, format);
  }
  const topics = [...formats.keys()];
  // One parser instance per partition: formats with header lines keep their layout per stream, and
  // `auto` is detected from the partition's first message.
  const parsers = new Map<string, { format: string; parse: LineParser }>();
  const parserFor = (topic: string, src: string, first: KafkaMessage | undefined) => {
    let p = parsers.get(src);
    const format = formats.get(topic);
    if (!p && format) {
      const sample = () => (first?.value ? first.value.toString('utf8').split('\n').filter((l) => l.trim() !== '').slice(0, 200) : []);
      const resolved = resolveParser(format, sample, parserOptionsFor(config, config.KAFKA_TOPIC_TIMEZONES[topic]));
      if (!resolved) return undefined;
      if (format === 'auto') log.info({ topic, src, format: resolved.format }, 'kafka topic format detected');
      parsers.set(src, (p = resolved));
    }
    return p;
  };
  await ensureTopics(kafka, topics.map((t) => t + config.KAFKA_DLQ_SUFFIX));

  const consumer = kafka.consumer({
    groupId: config.KAFKA_GROUP_ID,
    sessionTimeout: config.KAFKA_SESSION_TIMEOUT_MS,
    heartbeatInterval: Math.min(3_000, Math.floor(config.KAFKA_SESSION_TIMEOUT_MS / 3)),
    maxBytesPerPartition: 4 * 1024 * 1024,
    maxBytes: 16 * 1024 * 1024,
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await consumer.connect();
  for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });

  // Stored position per partition, loaded from the sink the first time a partition is seen after a
  // (re)assignment: another consumer may have stored more of it in between.
  const positions = new Map<string, number | null>();
  consumer.on(consumer.events.GROUP_JOIN, () => positions.clear());
  let failure: string | null = null;
  consumer.on(consumer.events.CRASH, (e) => {
    log.error({ err: e.payload.error, restart: e.payload.restart }, 'kafka consumer crashed');
    if (!e.payload.restart) failure = `consumer crashed: ${e.payload.error.message}`;
  });

  async function sendDeadLetters(topic: string, partition: number, letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await producer.send({
      topic: topic + config.KAFKA_DLQ_SUFFIX,
      acks: -1,
      messages: letters.map((d) => ({
        key: `${topic}/${partition}/${d.offset}/${d.line}`,
        value: d.raw,
        headers: {
          [DLQ_HEADERS.reason]: d.reason,
          [DLQ_HEADERS.topic]: topic,
          [DLQ_HEADERS.partition]: String(partition),
          [DLQ_HEADERS.offset]: String(d.offset),
          [DLQ_HEADERS.line]: String(d.line),
          [DLQ_HEADERS.format]: d.format,
        },
      })),
    });
    metrics.deadLetters.inc({ source: 'kafka', destination: 'kafka' }, letters.length);
  }

  async function storeWithRetry(events: SourcedEvent[], payload: EachBatchPayload): Promise<void> {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        const end = metrics.insertSeconds.startTimer();
        const { stored } = await sink.store(events);
        end();
        metrics.aiEvents.inc({ source: 'kafka' }, stored);
        return;
      } catch (err) {
        metrics.storeErrors.inc({ table: 'events' });
        if (!payload.isRunning() || Date.now() - started > config.INGEST_STORE_RETRY_MS) throw err;
        const wait = Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));
        log.warn({ err, topic: payload.batch.topic, partition: payload.batch.partition, attempt, wait }, 'store insert failed; retrying');
        // Backpressure: the batch is held (no further fetch for it) while the store is down.
        await sleep(wait);
        await payload.heartbeat();
      }
    }
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const src = `kafka:${batch.topic}/${batch.partition}`;
    const topicParser = parserFor(batch.topic, src, batch.messages[0]);
    if (!topicParser) {
      // `auto` found no format: dead-letter the batch's lines (with the reason) rather than guess.
      await sendDeadLetters(
        batch.topic,
        batch.partition,
        batch.messages.map((m) => ({ src, offset: Number(m.offset), line: 0, format: 'auto', reason: 'no known log format matches', raw: m.value ?? Buffer.alloc(0) })),
      );
      const last = batch.messages[batch.messages.length - 1];
      if (last) resolveOffset(last.offset);
      await commitOffsetsIfNecessary();
      return;
    }
    let done = positions.get(src);
    if (done === undefined) {
      done = await sink.storedPosition(src);
      positions.set(src, done);
    }
    const limits = { maxLineBytes: config.INGEST_MAX_LINE_BYTES };
    let events: SourcedEvent[] = [];
    let letters: DeadLetter[] = [];
    let lastOffset: string | null = null;

    const flush = async () => {
      await sendDeadLetters(batch.topic, batch.partition, letters);
      if (events.length > 0) {
        await storeWithRetry(events, payload);
        if (config.SHADOW_AI_FAILPOINT === 'exit-after-insert') {
          // TRICKY: written synchronously; the logger's buffered write would die with the process.
          writeSync(2, `failpoint exit-after-insert: ${src} stored, exiting before the offset commit\n`);
          process.kill(process.pid, 'SIGKILL');
        }
        const top = events[events.length - 1]!.offset;
        positions.set(src, top);
      }
      // TRICKY: resolveOffset is last-write-wins; only the contiguous prefix processed so far is resolved.
      if (lastOffset !== null) resolveOffset(lastOffset);
      await commitOffsetsIfNecessary();
      await heartbeat();
      events = [];
      letters = [];
    };

    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const offset = Number(message.offset);
      if (done !== null && offset <= done) {
        if (message.value) {
          metrics.lines.inc({ source: 'kafka', format: topicParser.format, outcome: 'skipped_replay' }, countLines(message.value));
        }
        lastOffset = message.offset;
        continue;
      }
      collect(message, offset, topicParser, limits, src, events, letters);
      lastOffset = message.offset;
      if (events.length + letters.length >= config.INGEST_BATCH_SIZE) await flush();
    }
    await flush();
    if (lastOffset !== null) {
      const lag = Number(batch.highWatermark) - Number(lastOffset) - 1;
      metrics.consumerLag.set({ topic: batch.topic, partition: String(batch.partition) }, Math.max(0, lag));
    }
  }

  function collect(
    message: KafkaMessage,
    offset: number,
    topicParser: { format: string; parse: LineParser },
    limits: { maxLineBytes: number },
    src: string,
    events: SourcedEvent[],
    letters: DeadLetter[],
  ): void {
    if (!message.value || message.value.length === 0) return;
    const ts = Number(message.timestamp);
    const ctx = { receivedAt: Number.isFinite(ts) && ts > 0 ? new Date(ts) : new Date() };
    const chunk = parseLines(message.value, topicParser.parse, ctx, limits);
    for (const e of chunk.events) events.push({ src, offset, line: e.line, event: e.event });
    for (const r of chunk.rejects) {
      letters.push({ src, offset, line: r.line, format: topicParser.format, reason: r.reason, raw: r.raw });
      log.debug({ src, offset, line: r.line, reason: r.reason }, 'line rejected');
    }
    metrics.lines.inc({ source: 'kafka', format: topicParser.format, outcome: 'parsed' }, chunk.events.length);
    metrics.lines.inc({ source: 'kafka', format: topicParser.format, outcome: 'rejected' }, chunk.rejects.length);
    metrics.lines.inc({ source: 'kafka', format: topicParser.format, outcome: 'header' }, chunk.skipped);
  }

  await consumer.run({
    eachBatchAutoResolve: false,
    autoCommit: true,
    autoCommitInterval: 1_000,
    partitionsConsumedConcurrently: config.KAFKA_PARTITIONS_CONCURRENTLY,
    eachBatch,
  });
  log.info({ topics, groupId: config.KAFKA_GROUP_ID }, 'kafka consumer started');

  return {
    failure: () => failure,
    async stop() {
      // Disconnect waits for the running batch, then commits what was resolved.
      await consumer.disconnect();
      await producer.disconnect();
      log.info('kafka consumer stopped');
    },
  };
}
