import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric the product exports at /metrics. One registry per process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'shadow_ai_process_' });
  const lines = new Counter({
    name: 'shadow_ai_ingest_lines_total',
    help: 'Log lines read, by source kind (kafka, http, file) and outcome (parsed, rejected, skipped_replay).',
    labelNames: ['source', 'format', 'outcome'] as const,
    registers: [registry],
  });
  const deadLetters = new Counter({
    name: 'shadow_ai_dead_letters_total',
    help: 'Lines sent to a dead-letter place (Kafka <topic>.dlq or the dead_letters table), by source kind and destination.',
    labelNames: ['source', 'destination'] as const,
    registers: [registry],
  });
  const aiEvents = new Counter({
    name: 'shadow_ai_events_stored_total',
    help: 'Events classified as AI app traffic and stored.',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  const storeErrors = new Counter({
    name: 'shadow_ai_store_errors_total',
    help: 'Failed store inserts (each one retried).',
    labelNames: ['table'] as const,
    registers: [registry],
  });
  const insertSeconds = new Histogram({
    name: 'shadow_ai_store_insert_seconds',
    help: 'Time to insert one batch of events.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const findingsWritten = new Counter({
    name: 'shadow_ai_findings_written_total',
    help: 'Finding versions written by the detector since start.',
    registers: [registry],
  });
  const consumerLag = new Gauge({
    name: 'shadow_ai_kafka_consumer_lag',
    help: 'Messages between the last offset processed and the partition high watermark, per topic and partition.',
    labelNames: ['topic', 'partition'] as const,
    registers: [registry],
  });
  // Forwarding status is read when Prometheus scrapes, from whatever the service registers.
  let destinationStatus: () => Promise<{ id: string; pending: number; lagSeconds: number; failedAttempts: number; delivered: number }[]> = async () => [];
  const gauges = {
    pending: new Gauge({ name: 'shadow_ai_forward_pending', help: 'Findings waiting in the outbox, per destination.', labelNames: ['destination'] as const, registers: [registry] }),
    lag: new Gauge({ name: 'shadow_ai_forward_lag_seconds', help: 'Age of the oldest undelivered finding, per destination.', labelNames: ['destination'] as const, registers: [registry] }),
    failed: new Gauge({ name: 'shadow_ai_forward_failed_attempts', help: 'Failed delivery attempts, per destination.', labelNames: ['destination'] as const, registers: [registry] }),
    delivered: new Gauge({ name: 'shadow_ai_forward_delivered', help: 'Findings delivered, per destination.', labelNames: ['destination'] as const, registers: [registry] }),
  };
  const collectForwarding = async () => {
    const statuses = await destinationStatus();
    for (const g of Object.values(gauges)) g.reset();
    for (const st of statuses) {
      gauges.pending.set({ destination: st.id }, st.pending);
      gauges.lag.set({ destination: st.id }, st.lagSeconds);
      gauges.failed.set({ destination: st.id }, st.failedAttempts);
      gauges.delivered.set({ destination: st.id }, st.delivered);
    }
  };
  const onDestinationStatus = (fn: typeof destinationStatus) => {
    destinationStatus = fn;
  };
  return { registry, collectForwarding, onDestinationStatus, lines, deadLetters, aiEvents, storeErrors, insertSeconds, findingsWritten, consumerLag };
}

export type Metrics = ReturnType<typeof createMetrics>;
