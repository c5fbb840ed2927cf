// Proves the integration harness itself: the broker started by test/support/global-setup.ts is a
// real Kafka that partitions, stores, serves and commits like production, and the helpers in
// test/support/kafka-admin.ts behave as the other integration tests assume.
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { consumeAll, createTopics, kafkaClient, produceLines, testKafkaBrokers } from './support/kafka-admin.ts';
import { startKafkaBroker } from './support/kafka-broker.ts';

const brokers = testKafkaBrokers();
const uniqueTopic = (prefix: string): string => `${prefix}-${randomUUID()}`;

describe('integration Kafka broker', () => {
  it('delivers 100 records over 3 partitions exactly once to a consumer group and stores its committed offsets', async () => {
    const topic = uniqueTopic('harness-roundtrip');
    const groupId = uniqueTopic('harness-group');
    await createTopics(brokers, [{ topic, partitions: 3 }]);

    const sent = Array.from({ length: 100 }, (_, i) => `line-${i}`);
    const produced = await produceLines(brokers, topic, sent);
    expect(new Set(produced.map((r) => r.partition))).toEqual(new Set([0, 1, 2]));

    const kafka = kafkaClient(brokers, 'harness-roundtrip');
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    const received: { partition: number; offset: number; value: string }[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      let allArrived: () => void = () => {};
      const arrived = new Promise<void>((resolve) => {
        allArrived = resolve;
      });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          received.push({ partition, offset: Number(message.offset), value: message.value?.toString('utf8') ?? '' });
          if (received.length >= sent.length) allArrived();
        },
      });
      await arrived;

      // Commit "next offset to read" per partition, as a consumer that processed everything would.
      const nextOffsets = new Map<number, number>();
      for (const { partition, offset } of received) {
        nextOffsets.set(partition, Math.max(nextOffsets.get(partition) ?? 0, offset + 1));
      }
      await consumer.commitOffsets(
        [...nextOffsets].map(([partition, offset]) => ({ topic, partition, offset: String(offset) })),
      );
    } finally {
      await consumer.disconnect();
    }

    expect(received).toHaveLength(sent.length);
    expect(received.map((r) => r.value).sort()).toEqual([...sent].sort());
    for (const partition of [0, 1, 2]) {
      const offsets = received.filter((r) => r.partition === partition).map((r) => r.offset);
      // Per-partition order and density: offsets 0..n-1 in delivery order, nothing skipped or repeated.
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }

    const admin = kafka.admin();
    await admin.connect();
    try {
      const highWatermarks = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const committedByPartition = Object.fromEntries(
        (committed?.partitions ?? []).map((p) => [p.partition, p.offset]),
      );
      expect(committedByPartition).toEqual(Object.fromEntries(highWatermarks.map((p) => [p.partition, p.high])));
      expect(highWatermarks.reduce((sum, p) => sum + Number(p.high), 0)).toBe(sent.length);
    } finally {
      await admin.disconnect();
    }
  });

  it('createTopics tolerates existing topics but refuses one whose partition count differs', async () => {
    const topic = uniqueTopic('harness-idempotent');
    await createTopics(brokers, [{ topic, partitions: 2 }]);
    await expect(createTopics(brokers, [{ topic, partitions: 2 }, { topic: `${topic}-b` }])).resolves.toBeUndefined();
    await expect(createTopics(brokers, [{ topic, partitions: 4 }])).rejects.toThrow(/exists with 2 partitions/);
  });

  it('consumeAll returns values and headers of every record, which is how tests inspect the DLQ', async () => {
    const topic = uniqueTopic('harness-dlq');
    await createTopics(brokers, [{ topic }]);
    const producer = kafkaClient(brokers, 'harness-dlq').producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({
        topic,
        messages: [
          { value: 'not json', headers: { 'x-error': 'parse failed', 'x-source-offset': '7' } },
          { value: Buffer.from([0xff, 0xfe]), headers: { 'x-error': 'not utf-8' } },
        ],
      });
    } finally {
      await producer.disconnect();
    }

    const messages = await consumeAll(brokers, topic, { expected: 2, timeoutMs: 30_000, settleMs: 200 });

    expect(messages).toHaveLength(2);
    expect(messages[0]?.value?.toString('utf8')).toBe('not json');
    expect(messages[0]?.headers?.['x-error']?.toString()).toBe('parse failed');
    expect(messages[0]?.headers?.['x-source-offset']?.toString()).toBe('7');
    expect(messages[1]?.value).toEqual(Buffer.from([0xff, 0xfe]));
    expect(messages[1]?.headers?.['x-error']?.toString()).toBe('not utf-8');
  });

  it('accepts a record of several MiB, because message.max.bytes is raised to 10 MiB', async () => {
    const topic = uniqueTopic('harness-large');
    await createTopics(brokers, [{ topic }]);
    const big = Buffer.alloc(4 * 1024 * 1024, 'a');

    await produceLines(brokers, topic, [big], { partition: 0 });
    const [message] = await consumeAll(brokers, topic, { expected: 1, timeoutMs: 30_000 });

    expect(message?.value?.length).toBe(big.length);
  });

  it('startKafkaBroker rejects with the broker log tail when the broker dies during startup', async () => {
    // Occupying the client port makes the JVM exit on bind, the cheapest real startup failure.
    // The readiness probe connects to the blocker meanwhile; those sockets must be destroyed or
    // close() would wait for them forever.
    const accepted = new Set<Socket>();
    const blocker: Server = createServer((socket) => {
      accepted.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      await expect(startKafkaBroker({ port })).rejects.toThrow(/exited during startup[\s\S]*Address already in use/);
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
