import { buildServer } from '@shadow-ai/api';
import { loadCatalog } from '@shadow-ai/catalog';
import { createStore, migrate, type Store } from '@shadow-ai/clickhouse';
import { createLogger, createMetrics, type Config, type Logger } from '@shadow-ai/core';
import { createClassifyStep, createStoreSink, CustomApps, defaultCountryDb, FindingsDetector, IdentityMap, openDestIpEnricher, Sanctions } from '@shadow-ai/detect';
import { startIdentityConsumer, startLogConsumer, startSyslogListener, type LogConsumer, type SyslogListener } from '@shadow-ai/ingest';
import { createKafka } from '@shadow-ai/kafka';
import type { FastifyInstance } from 'fastify';

export interface Runtime {
  server: FastifyInstance;
  url: string;
  syslogPorts: SyslogListener['ports'] | null;
  store: Store;
  log: Logger;
  stop(): Promise<void>;
}

/**
 * The all-in-one service: store (embedded or server), catalog, detector, HTTP API and, with
 * KAFKA_BROKERS, the Kafka consumers. Shutdown order: stop sources, flush sinks, close clients.
 */
export async function startRuntime(config: Config, log: Logger = createLogger({ level: config.LOG_LEVEL })): Promise<Runtime> {
  const shipped = loadCatalog();
  const sanctions = config.SHADOW_AI_SANCTIONS_FILE ? Sanctions.load(config.SHADOW_AI_SANCTIONS_FILE, shipped) : Sanctions.none();
  const metrics = createMetrics();
  const store = await createStore(config, log);
  await migrate(store.client, log);
  const catalog = { current: shipped };
  const customApps = new CustomApps({ client: store.client, shipped, ref: catalog, log });
  await customApps.load();
  customApps.startPolling(30_000);

  const identity = new IdentityMap({
    client: store.client,
    log,
    userFormat: config.IDENTITY_USER_FORMAT,
    defaultTtlMs: config.IDENTITY_DEFAULT_TTL_MS,
  });
  await identity.load();
  identity.startPolling(30_000);

  const countryDb = config.GEOIP_COUNTRY_DB === 'off' ? undefined : config.GEOIP_COUNTRY_DB === 'bundled' ? (defaultCountryDb() ?? undefined) : config.GEOIP_COUNTRY_DB;
  const destIp =
    config.GEOIP_ASN_DB || countryDb ? await openDestIpEnricher({ asnDb: config.GEOIP_ASN_DB, countryDb }) : null;

  const detector = new FindingsDetector({ client: store.client, sanctions, log, metrics });
  const sink = createStoreSink({
    client: store.client,
    catalog,
    classify: createClassifyStep({ catalog }),
    enrich: (e) => identity.enrich(e),
    destIp,
    onStored: (user, appId) => detector.touch(user, appId),
  });
  await detector.evaluateAll();
  detector.start(config.DETECT_INTERVAL_MS);

  let consumer: LogConsumer | null = null;
  let identityConsumer: { stop(): Promise<void> } | null = null;
  if (config.KAFKA_BROKERS) {
    const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID, log });
    consumer = await startLogConsumer({ kafka, config, sink, log, metrics });
    identityConsumer = await startIdentityConsumer({ kafka, config, log, metrics, onLeases: (leases) => identity.add(leases) });
  }

  let syslog: SyslogListener | null = null;
  if (config.SYSLOG_UDP_PORT !== undefined || config.SYSLOG_TCP_PORT !== undefined || config.SYSLOG_TLS_PORT !== undefined) {
    syslog = await startSyslogListener({ config, sink, log, metrics });
  }

  const server = await buildServer(
    {
      client: store.client,
      catalog,
      customApps,
      identity,
      sanctions,
      sink,
      metrics,
      config,
      readiness: async () => {
        const checks: Record<string, string> = {};
        checks.store = (await store.client.ping()).success ? 'ok' : 'store does not answer';
        if (consumer) checks.kafka = consumer.failure() ?? 'ok';
        return { ok: Object.values(checks).every((c) => c === 'ok'), checks };
      },
    },
    log,
  );
  const address = await server.listen({ port: config.PORT, host: config.HOST });
  log.info(
    { url: address, store: store.kind, kafka: consumer ? 'on' : 'off', apps: catalog.current.apps.length, catalog: catalog.current.version },
    'shadow-ai started',
  );

  let stopping: Promise<void> | null = null;
  return {
    server,
    url: address,
    syslogPorts: syslog?.ports ?? null,
    store,
    log,
    stop() {
      stopping ??= (async () => {
        await server.close();
        await syslog?.stop();
        await consumer?.stop();
        await identityConsumer?.stop();
        await detector.stop();
        customApps.stop();
        identity.stop();
        destIp?.close();
        await store.close();
        log.info('shadow-ai stopped');
      })();
      return stopping;
    },
  };
}
