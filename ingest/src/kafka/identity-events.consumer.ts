import type { EachBatchPayload, Kafka } from 'kafkajs';
import { leaseSchema, type Config, type LeaseInput, type Logger, type Metrics } from '@shadow-ai/core';
import { ensureTopics } from '@shadow-ai/kafka';
import { DLQ_HEADERS } from './log-topics.consumer.ts';

/**
 * Reads identity events (JSON lines) into the identity map: leases `{ip, user, from, to?}` and logons
 * `{type: "logon", ip, user, ts}` (a lease from `ts` until the next lease of the address). Invalid
 * records go to `<topic>.dlq` with the reason; offsets are committed after the leases are stored.
 */
export async function startIdentityConsumer(deps: {
  kafka: Kafka;
  config: Pick<Config, 'KAFKA_IDENTITY_TOPIC' | 'KAFKA_GROUP_ID' | 'KAFKA_DLQ_SUFFIX' | 'KAFKA_SESSION_TIMEOUT_MS'>;
  onLeases: (leases: LeaseInput[]) => Promise<unknown>;
  log: Logger;
  metrics: Metrics;
}): Promise<{ stop(): Promise<void> }> {
  const { kafka, config, log, metrics } = deps;
  const topic = config.KAFKA_IDENTITY_TOPIC;
  await ensureTopics(kafka, [topic, topic + config.KAFKA_DLQ_SUFFIX]);
  const consumer = kafka.consumer({ groupId: `${config.KAFKA_GROUP_ID}-identity`, sessionTimeout: config.KAFKA_SESSION_TIMEOUT_MS });
  // Idempotent: kafkajs re-sends a whole broker request when one partition in it fails, which would
  // otherwise write the dead letters of the partitions that succeeded twice.
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }: EachBatchPayload) => {
      const leases: LeaseInput[] = [];
      const bad: { value: Buffer; offset: string; line: number; reason: string }[] = [];
      for (const m of batch.messages) {
        if (!m.value) continue;
        m.value
          .toString('utf8')
          .split('\n')
          .forEach((text, line) => {
            if (text.trim() === '') return;
            const reason = toLease(text, leases);
            if (reason) bad.push({ value: Buffer.from(text), offset: m.offset, line, reason });
          });
      }
      if (bad.length > 0) {
        await producer.send({
          topic: topic + config.KAFKA_DLQ_SUFFIX,
          messages: bad.map((b) => ({
            value: b.value,
            headers: {
              [DLQ_HEADERS.reason]: b.reason,
              [DLQ_HEADERS.topic]: topic,
              [DLQ_HEADERS.partition]: String(batch.partition),
              [DLQ_HEADERS.offset]: b.offset,
              [DLQ_HEADERS.line]: String(b.line),
              [DLQ_HEADERS.format]: 'identity-json',
            },
          })),
        });
        metrics.deadLetters.inc({ source: 'kafka', destination: 'kafka' }, bad.length);
      }
      if (leases.length > 0) await deps.onLeases(leases);
      const last = batch.messages[batch.messages.length - 1];
      if (last) resolveOffset(last.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    },
  });
  log.info({ topic }, 'identity consumer started');
  return {
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

function toLease(text: string, out: LeaseInput[]): string | null {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return 'invalid JSON';
  }
  if (typeof obj !== 'object' || obj === null) return 'expected a JSON object';
  const rec = obj as Record<string, unknown>;
  const candidate = rec.type === 'logon' ? { ip: rec.ip, user: rec.user, from: rec.ts, source: 'logon' } : { source: 'kafka', ...rec };
  const parsed = leaseSchema.safeParse(candidate);
  if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  out.push(parsed.data);
  return null;
}
