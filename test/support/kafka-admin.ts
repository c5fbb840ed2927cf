// Small kafkajs helpers for integration tests: topic setup, seeding input topics and reading
// output topics (e.g. the DLQ) back from the broker started by test/support/global-setup.ts.
/// <reference path="./provided.d.ts" />
import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel, type KafkaMessage, type RecordMetadata } from 'kafkajs';
import { inject } from 'vitest';

export interface TopicSpec {
  topic: string;
  /** Defaults to 1. */
  partitions?: number;
}

export interface ConsumeAllOptions {
  /** Resolve as soon as this many messages have arrived. */
  expected: number;
  /** Reject (with the count seen so far) if `expected` is not reached in time. */
  timeoutMs: number;
  /** Keep listening this long after `expected` is reached, so surplus messages show up. Default 0. */
  settleMs?: number;
  /** Defaults to a fresh group, i.e. the topic is read from the beginning. */
  groupId?: string;
}

export type ConsumedMessage = KafkaMessage & { topic: string; partition: number };

/** Bootstrap address provided by the integration globalSetup. Only callable inside test workers. */
export function testKafkaBrokers(): string {
  return inject('kafkaBrokers');
}

/** A kafkajs client that keeps test output readable: kafkajs logs every retry at INFO/WARN. */
export function kafkaClient(brokers: string, clientId = 'shadow-ai-test', level: logLevel = logLevel.ERROR): Kafka {
  return new Kafka({
    clientId,
    brokers: brokers.split(',').map((b) => b.trim()),
    logLevel: level,
  });
}

/**
 * Creates the topics that do not exist yet and waits until every partition has a leader, so a
 * producer or consumer started right after never sees LEADER_NOT_AVAILABLE. Existing topics are
 * accepted only with the requested partition count, to catch tests that reuse names by accident.
 */
export async function createTopics(brokers: string, topics: TopicSpec[], timeoutMs = 30_000): Promise<void> {
  // Silent: kafkajs logs the expected TOPIC_ALREADY_EXISTS as an ERROR; real failures still throw.
  const admin = kafkaClient(brokers, 'shadow-ai-test-admin', logLevel.NOTHING).admin();
  await admin.connect();
  try {
    // kafkajs only waits for leaders when every topic is new, so waiting is done separately below.
    await admin.createTopics({
      topics: topics.map(({ topic, partitions }) => ({ topic, numPartitions: partitions ?? 1, replicationFactor: 1 })),
      waitForLeaders: false,
    });

    const deadline = Date.now() + timeoutMs;
    let problem = 'no metadata fetched yet';
    while (Date.now() < deadline) {
      problem = await leaderProblem(admin, topics);
      if (problem === '') return;
      await sleep(100);
    }
    throw new Error(`Topics not ready after ${timeoutMs}ms: ${problem}`);
  } finally {
    await admin.disconnect();
  }
}

async function leaderProblem(admin: ReturnType<Kafka['admin']>, topics: TopicSpec[]): Promise<string> {
  let metadata: Awaited<ReturnType<typeof admin.fetchTopicMetadata>>;
  try {
    metadata = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  for (const { topic, partitions = 1 } of topics) {
    const found = metadata.topics.find((t) => t.name === topic);
    if (!found) return `${topic} missing from metadata`;
    if (found.partitions.length !== partitions) {
      if (found.partitions.length > 0) {
        throw new Error(`Topic ${topic} exists with ${found.partitions.length} partitions, wanted ${partitions}`);
      }
      return `${topic} has no partitions yet`;
    }
    const leaderless = found.partitions.filter((p) => p.leader < 0 || p.partitionErrorCode !== 0);
    if (leaderless.length > 0) return `${topic} partitions without leader: ${leaderless.map((p) => p.partitionId).join(',')}`;
  }
  return '';
}

/**
 * Produces one record per entry exactly once (idempotent, no key, acks=all). Without `partition` the records are spread
 * round-robin over the partitions, as kafkajs does for keyless records.
 */
export async function produceLines(
  brokers: string,
  topic: string,
  messages: (string | Buffer)[],
  opts: { partition?: number } = {},
): Promise<RecordMetadata[]> {
  const producer = kafkaClient(brokers, 'shadow-ai-test-producer').producer({
    // Explicit, to silence kafkajs' one-time warning about its v2 default partitioner change.
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    // kafkajs re-sends a whole broker request when one partition in it answers an error (e.g. NOT_LEADER
    // while a fresh topic settles), duplicating the records of the partitions that succeeded. Tests
    // count what they produced, so the broker must drop those re-sends: idempotent producer.
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    const results: RecordMetadata[] = [];
    // Bounded requests, so seeding large fixtures stays under the broker's request size limits.
    for (let i = 0; i < messages.length; i += 1_000) {
      const chunk = messages.slice(i, i + 1_000).map((value) =>
        opts.partition === undefined ? { value } : { value, partition: opts.partition },
      );
      results.push(...(await producer.send({ topic, messages: chunk, acks: -1 })));
    }
    return results;
  } finally {
    await producer.disconnect();
  }
}

/**
 * Reads `topic` with a consumer group until `expected` messages arrived, returning them with
 * value, key, headers and offsets as kafkajs delivered them (ordered per partition).
 */
export async function consumeAll(brokers: string, topic: string, opts: ConsumeAllOptions): Promise<ConsumedMessage[]> {
  const { expected, timeoutMs, settleMs = 0 } = opts;
  const consumer = kafkaClient(brokers, 'shadow-ai-test-consumer').consumer({
    groupId: opts.groupId ?? `shadow-ai-test-${randomUUID()}`,
    maxWaitTimeInMs: 100,
  });
  const messages: ConsumedMessage[] = [];
  let reached: () => void = () => {};
  const enough = new Promise<void>((resolve) => {
    reached = resolve;
  });
  if (expected <= 0) reached();

  let timer: NodeJS.Timeout | undefined;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic: from, partition, message }) => {
        messages.push({ ...message, topic: from, partition });
        if (messages.length >= expected) reached();
      },
    });
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Consumed ${messages.length}/${expected} messages from ${topic} within ${timeoutMs}ms`)),
        timeoutMs,
      );
    });
    await Promise.race([enough, timedOut]);
    clearTimeout(timer);
    if (settleMs > 0) await sleep(settleMs);
    return [...messages];
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
