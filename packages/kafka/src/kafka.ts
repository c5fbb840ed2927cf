import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from '@shadow-ai/core';
import { kafkaClientSecurity, type KafkaSecurity } from './security.ts';

/**
 * A kafkajs client whose own log lines go through pino, so one log stream carries everything.
 * `security` adds TLS and SASL (plain, SCRAM) for brokers that require them.
 */
export function createKafka(opts: { brokers: string; clientId: string; log: Logger; security?: KafkaSecurity | undefined }): Kafka {
  const brokers = opts.brokers.split(',').map((b) => b.trim()).filter(Boolean);
  return new Kafka({
    clientId: opts.clientId,
    brokers,
    ...kafkaClientSecurity(opts.security),
    logLevel: logLevel.WARN,
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
    logCreator: () => (entry: LogEntry) => {
      const { message, ...rest } = entry.log;
      const fields = { kafka: entry.namespace, ...rest };
      if (entry.level <= logLevel.ERROR) opts.log.error(fields, message);
      else if (entry.level === logLevel.WARN) opts.log.warn(fields, message);
      else opts.log.debug(fields, message);
    },
  });
}

/** Creates the topics that are missing (idempotent); used by `shadow-ai start` for the DLQ topics. */
export async function ensureTopics(kafka: Kafka, topics: string[], partitions = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: -1 })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}
