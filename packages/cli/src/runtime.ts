import { ApiKeys, AuditLog, buildServer, createOidcVerifier } from '@shadow-ai/api';
import { loadCatalog } from '@shadow-ai/catalog';
import { applyRetention, createStore, migrate, pollTableChanges, tableChangeMarker, type Store } from '@shadow-ai/clickhouse';
import { createLogger, createMetrics, type Config, type Logger } from '@shadow-ai/core';
import {
  createClassifyStep, createStoreSink, CustomApps, defaultCountryDb, FindingsDetector, IdentityMap, LiveSanctions,
  AgentRegistry, currentExport, Forwarder, openDestIpEnricher, Pseudonymizer, Sanctions, SanctionStore, Suppressions, Triage, type ExportFormat,
  isReportFormat, ReportScheduler, ReportService, ReportStore,
} from '@shadow-ai/detect';
import { startIdentityConsumer, startLogConsumer, startSyslogListener, type LogConsumer, type SyslogListener } from '@shadow-ai/ingest';
import { createKafka, kafkaSecurityFromConfig } from '@shadow-ai/kafka';
import type { FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import { adminSocketPath, startAdminSocket } from './admin-socket.ts';

export interface Runtime {
  /** no way to authenticate yet: no API key, no admin token, no OIDC */
  needsKey: boolean;
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
  // Read the TLS and password files before anything starts, so a wrong path stops the start cleanly.
  const kafkaSecurity = config.KAFKA_BROKERS ? kafkaSecurityFromConfig(config) : undefined;
  const sanctions = new LiveSanctions(
    config.SHADOW_AI_SANCTIONS_FILE ? Sanctions.readFile(config.SHADOW_AI_SANCTIONS_FILE, shipped) : { default: 'unsanctioned', apps: {} },
  );
  const metrics = createMetrics();
  let forwarderRef: Forwarder | null = null;
  metrics.onDestinationStatus(async () => (forwarderRef ? forwarderRef.status() : []));
  const store = await createStore(config, log);
  await migrate(store, log);
  await applyRetention(store, { events: config.RETENTION_EVENTS_DAYS, aggregates: config.RETENTION_AGGREGATES_DAYS }, log);
  const sanctionStore = new SanctionStore({ client: store.client, sanctions });
  await sanctionStore.load();
  const audit = new AuditLog(store.client);
  const keys = new ApiKeys({ client: store.client, log });
  await keys.load();
  keys.startSync(60_000);
  const pseudonymizer = config.SHADOW_AI_PSEUDONYMIZE ? new Pseudonymizer(config.SHADOW_AI_PSEUDONYM_SECRET!, store.client) : null;
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

  const triage = new Triage(store.client);
  const suppressions = new Suppressions({ client: store.client, triage });
  await suppressions.load();
  const forwarder = new Forwarder({ client: store.client, log, deliver: config.FORWARD_ENABLED });
  await forwarder.start();
  forwarderRef = forwarder;
  const agents = new AgentRegistry(store.client);
  await agents.load();
  const detector = new FindingsDetector({
    client: store.client,
    sanctions,
    catalog,
    agents,
    rules: {
      largeUploadBytes: config.DETECT_LARGE_UPLOAD_BYTES,
      uploadBaselineFactor: config.DETECT_UPLOAD_BASELINE_FACTOR,
      spikeFactor: config.DETECT_SPIKE_FACTOR,
      spikeMinRequests: config.DETECT_SPIKE_MIN_REQUESTS,
      agentUserPattern: config.DETECT_AGENT_USER_PATTERN,
    },
    log,
    metrics,
    onNotable: (rows) => forwarder.enqueue(rows),
    // New findings that a suppression rule covers are suppressed as they appear.
    onNew: async (rows) => {
      for (const r of rows) {
        const rule = suppressions.match(r);
        if (rule) await triage.change(r.id, { status: 'suppressed', reason: `suppression rule ${rule.id}: ${rule.reason}` }, `rule:${rule.id}`);
      }
    },
  });
  const sink = createStoreSink({
    client: store.client,
    catalog,
    classify: createClassifyStep({ catalog }),
    enrich: (e) => identity.enrich(e),
    destIp,
    pseudonymizer,
    onStored: (user, appId) => detector.touch(user, appId),
  });
  await detector.evaluateAll();
  detector.start(config.DETECT_INTERVAL_MS);

  // Decisions written through another process's API (several processes may share one store) reach
  // this one within STATE_REFRESH_MS: each table's change marker is watched and its holder reloaded.
  const shared: { tables: string[]; reload: () => Promise<void> }[] = [
    { tables: ['sanctions', 'group_members'], reload: () => sanctionStore.load() },
    { tables: ['agents'], reload: () => agents.load() },
    { tables: ['suppression_rules'], reload: () => suppressions.load() },
    { tables: ['destinations'], reload: () => forwarder.start() },
  ];
  const stopSharedPolls: (() => void)[] = [];
  for (const s of shared) {
    for (const table of s.tables) {
      let marker = await tableChangeMarker(store.client, table);
      stopSharedPolls.push(
        pollTableChanges({
          client: store.client,
          table,
          intervalMs: config.STATE_REFRESH_MS,
          current: () => marker,
          reload: async () => {
            marker = await tableChangeMarker(store.client, table);
            await s.reload();
            log.info({ table }, 'shared state reloaded');
          },
          log,
        }),
      );
    }
  }

  const reports = new ReportService({
    client: store.client,
    catalog: () => catalog.current,
    sanctions,
    sanctionsAt: (at) => sanctionStore.asOf(at),
    chromiumPath: config.CHROMIUM_PATH,
    store: new ReportStore(store.client),
  });
  const reportScheduler = config.REPORT_ENABLED
    ? new ReportScheduler({ service: reports, formats: config.REPORT_FORMATS, day: config.REPORT_SCHEDULE_DAY, log })
    : null;

  // Sanctions that expire revert to the decision before them: record it and re-derive findings.
  let expiryCheckedAt = Date.now();
  const expiryTimer = setInterval(() => {
    const now = Date.now();
    const expired = sanctions.expiredBetween(expiryCheckedAt, now);
    const since = expiryCheckedAt;
    expiryCheckedAt = now;
    void suppressions.expire(since, now).catch((err: unknown) => log.error({ err }, 'suppression expiry handling failed'));
    if (expired.length === 0) return;
    void (async () => {
      for (const o of expired) {
        await audit.record({ actor: 'system', action: 'sanction.expire', target: o.appId, before: o, after: sanctions.effective(o.appId) });
      }
      await detector.evaluateAll();
    })().catch((err: unknown) => log.error({ err }, 'sanction expiry handling failed'));
  }, 1000);
  expiryTimer.unref();

  let consumer: LogConsumer | null = null;
  let identityConsumer: { stop(): Promise<void> } | null = null;
  if (config.KAFKA_BROKERS) {
    const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID, log, security: kafkaSecurity });
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
      sanctionStore,
      detector,
      audit,
      triage,
      suppressions,
      agents,
      forwarder,
      pseudonymizer,
      auth: {
        keys,
        adminToken: config.SHADOW_AI_ADMIN_TOKEN,
        oidc:
          config.OIDC_ISSUER && config.OIDC_AUDIENCE && config.OIDC_JWKS_URL
            ? createOidcVerifier({
                issuer: config.OIDC_ISSUER,
                audience: config.OIDC_AUDIENCE,
                jwksUrl: config.OIDC_JWKS_URL,
                roleClaim: config.OIDC_ROLE_CLAIM,
                roleMap: config.OIDC_ROLE_MAP,
              })
            : null,
        maxFailuresPerMinute: config.AUTH_MAX_FAILURES_PER_MINUTE,
      },
      sink,
      metrics,
      reports,
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
  // Local key management for the embedded store (one process per data directory).
  const adminSocket: Server | null = store.kind === 'embedded' ? await startAdminSocket(adminSocketPath(config.SHADOW_AI_DATA_DIR), {
          keys,
          audit,
          exportList: (format, list, proxy) =>
            currentExport(format as ExportFormat, list, { catalog: catalog.current, sanctions, customApps }, proxy),
          report: (month, format) => {
            if (!isReportFormat(format)) throw new Error(`unknown report format ${format}`);
            return reports.render(month, format);
          },
        }) : null;
  // The first check waits a little so a starting service (and its tests) is not busy printing PDFs.
  reportScheduler?.start(config.REPORT_CHECK_INTERVAL_MS, Math.min(config.REPORT_CHECK_INTERVAL_MS, 300_000));
  const needsKey = keys.size === 0 && !config.SHADOW_AI_ADMIN_TOKEN && !config.OIDC_ISSUER;
  log.info(
    { url: address, store: store.kind, kafka: consumer ? 'on' : 'off', apps: catalog.current.apps.length, catalog: catalog.current.version },
    'shadow-ai started',
  );

  let stopping: Promise<void> | null = null;
  return {
    needsKey,
    server,
    url: address,
    syslogPorts: syslog?.ports ?? null,
    store,
    log,
    stop() {
      stopping ??= (async () => {
        await server.close();
        adminSocket?.close();
        await reportScheduler?.stop();
        clearInterval(expiryTimer);
        for (const stop of stopSharedPolls) stop();
        await syslog?.stop();
        await consumer?.stop();
        await identityConsumer?.stop();
        await detector.stop();
        await forwarder.stop();
        customApps.stop();
        identity.stop();
        destIp?.close();
        await keys.stop();
        await store.close();
        log.info('shadow-ai stopped');
      })();
      return stopping;
    },
  };
}
