/**
 * End to end through a real broker: lines produced to a topic, consumed by `shadow-ai start`, parsed,
 * classified and stored in the embedded ClickHouse. Reports events/s sustained, the broker's own produce
 * rate in the same run (the baseline), consumer lag at the end, and the service's peak RSS.
 * Uses KAFKA_BROKERS when set, else starts a broker with the test harness.
 */
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, CompressionTypes } from 'kafkajs';
import { startKafkaBroker } from '../test/support/kafka-broker.ts';
import { startService, tempDir, removeDir, TEST_ADMIN_TOKEN } from '../test/support/service.ts';

export async function benchKafkaE2e(opts: { lines: number; linesPerMessage: number; hosts: (i: number) => string }): Promise<Record<string, unknown>[]> {
  const broker = process.env.KAFKA_BROKERS ? null : await startKafkaBroker();
  const brokers = process.env.KAFKA_BROKERS ?? broker!.brokers;
  const topic = `bench-proxy-${Date.now()}`;
  const kafka = new Kafka({ clientId: 'shadow-ai-bench', brokers: brokers.split(','), logLevel: logLevel.ERROR });
  const dir = tempDir('bench-e2e');
  try {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();

    // Produce everything first: the produce rate is this broker's own limit on this machine.
    const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const t0 = 1795600800;
    const started = process.hrtime.bigint();
    let batch: { value: string }[] = [];
    let lines: string[] = [];
    for (let i = 0; i < opts.lines; i++) {
      const ts = `${t0 + Math.floor(i / 50)}.${String(i % 1000).padStart(3, '0')}`;
      lines.push(`${ts}    245 10.1.${(i >> 8) & 255}.${i & 255} TCP_TUNNEL/200 ${5120 + (i % 9000)} CONNECT ${opts.hosts(i)}:443 user${i % 500} HIER_DIRECT/203.0.113.7 -`);
      if (lines.length === opts.linesPerMessage) {
        batch.push({ value: lines.join('\n') });
        lines = [];
      }
      if (batch.length === 200) {
        await producer.send({ topic, messages: batch, compression: CompressionTypes.None });
        batch = [];
      }
    }
    if (lines.length > 0) batch.push({ value: lines.join('\n') });
    if (batch.length > 0) await producer.send({ topic, messages: batch });
    const produceSecs = Number(process.hrtime.bigint() - started) / 1e9;
    await producer.disconnect();

    const service = await startService({
      dataDir: `${dir}/data`,
      env: { KAFKA_BROKERS: brokers, KAFKA_TOPICS: `${topic}:squid`, KAFKA_GROUP_ID: `bench-${Date.now()}`, LOG_LEVEL: 'warn', GEOIP_COUNTRY_DB: 'bundled' },
    });
    const parsedRe = /shadow_ai_ingest_lines_total\{source="kafka",format="squid",outcome="parsed"\} (\d+)/;
    const lagRe = /shadow_ai_kafka_consumer_lag\{[^}]*\} (\d+)/g;
    let first: bigint | null = null;
    let done = 0;
    let peakRss = 0;
    const deadline = Date.now() + 600_000;
    while (Date.now() < deadline) {
      const text = await (await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).text();
      done = Number(parsedRe.exec(text)?.[1] ?? 0);
      if (done > 0 && first === null) first = process.hrtime.bigint();
      const status = readFileSync(`/proc/${service.proc.pid}/status`, 'utf8');
      peakRss = Math.max(peakRss, Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024);
      if (done >= opts.lines) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const consumeSecs = first === null ? Infinity : Number(process.hrtime.bigint() - first) / 1e9;
    // The lag gauge is set at the end of each batch, just after its lines are counted: read it once it settles.
    let lag = -1;
    for (let i = 0; i < 20; i++) {
      const text = await (await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).text();
      lag = [...text.matchAll(lagRe)].reduce((s, m) => s + Number(m[1]), 0);
      if (lag === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await service.stop();
    if (done < opts.lines) throw new Error(`only ${done} of ${opts.lines} lines consumed in time`);
    return [
      {
        bench: 'kafka.e2e.squid',
        unit: 'events/s',
        value: Math.round(opts.lines / consumeSecs),
        baseline: { name: 'kafka_produce_same_lines', unit: 'lines/s', value: Math.round(opts.lines / produceSecs) },
        ratio: Number((opts.lines / consumeSecs / (opts.lines / produceSecs)).toFixed(3)),
        lines: opts.lines,
        linesPerMessage: opts.linesPerMessage,
        consumerLagAtEnd: lag,
        servicePeakRssBytes: peakRss,
      },
    ];
  } finally {
    removeDir(dir);
    await broker?.stop();
  }
}
