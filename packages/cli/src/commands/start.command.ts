import { parseArgs } from 'node:util';
import { loadConfig } from '@shadow-ai/core';
import type { Io } from '../io.ts';
import { startRuntime } from '../runtime.ts';

export const START_HELP = `Usage: shadow-ai start

Runs everything in one process: the HTTP API (and ingest endpoint) on PORT, the store, the findings
detector, and Kafka consumers when KAFKA_BROKERS is set. Configuration comes from the environment:

  PORT (8080), HOST (127.0.0.1)           where the API listens
  SHADOW_AI_DATA_DIR (./data)             embedded store data (one process per directory)
  CLICKHOUSE_URL, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE
                                          use a ClickHouse server instead of the embedded store
  CLICKHOUSE_CLUSTER                      cluster name: Replicated + Distributed schema, ON CLUSTER DDL
  KAFKA_BROKERS                           host:port,... ; enables the Kafka consumers
  KAFKA_TOPICS (proxy-logs:squid,dns-logs:bind)   topic:format pairs
  KAFKA_GROUP_ID (shadow-ai-ingest), KAFKA_DLQ_SUFFIX (.dlq)
  KAFKA_SECURITY_PROTOCOL (plaintext)     plaintext, ssl, sasl_plaintext or sasl_ssl, with
    KAFKA_SSL_CA_FILE, KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE (PEM files) and
    KAFKA_SASL_MECHANISM (plain, scram-sha-256, scram-sha-512), KAFKA_SASL_USERNAME,
    KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE
  SYSLOG_UDP_PORT, SYSLOG_TCP_PORT, SYSLOG_TLS_PORT (+ SYSLOG_TLS_CERT, SYSLOG_TLS_KEY)
                                          syslog listeners (off unless set; 0 = any free port) on SYSLOG_HOST
  SYSLOG_FORMAT (auto), SYSLOG_TIMEZONE   payload format (auto: detected per device); zone of header times
  SHADOW_AI_SANCTIONS_FILE                JSON sanction status per app (default: all unsanctioned)
  SHADOW_AI_ADMIN_TOKEN                   bootstrap admin bearer token (>= 16 chars) for automation
  OIDC_ISSUER, OIDC_AUDIENCE, OIDC_JWKS_URL, OIDC_ROLE_CLAIM (roles), OIDC_ROLE_MAP
                                          accept OIDC/JWT bearer tokens
  SHADOW_AI_PSEUDONYMIZE, SHADOW_AI_PSEUDONYM_SECRET
                                          store and show identities as keyed hashes
  GEOIP_ASN_DB, GEOIP_COUNTRY_DB (bundled)  MMDB files for destination enrichment
  INGEST_BATCH_SIZE (20000), INGEST_MAX_LINE_BYTES (65536), INGEST_MAX_BODY_BYTES (33554432)
  INGEST_TIMEZONE (UTC), KAFKA_TOPIC_TIMEZONES, INGEST_JSON_FIELD_MAP, INGEST_SQUID_LOGFORMAT
  KAFKA_IDENTITY_TOPIC (identity-events), IDENTITY_USER_FORMAT (short)
  DETECT_INTERVAL_MS (1000), DETECT_LARGE_UPLOAD_BYTES, DETECT_UPLOAD_BASELINE_FACTOR, DETECT_SPIKE_FACTOR,
  DETECT_SPIKE_MIN_REQUESTS, DETECT_AGENT_USER_PATTERN      finding rule thresholds
  RETENTION_EVENTS_DAYS (180), RETENTION_AGGREGATES_DAYS (1095)   TTLs (0 = keep)
  REPORT_ENABLED (true), REPORT_SCHEDULE_DAY (1), REPORT_FORMATS (html,pdf,json), REPORT_CHECK_INTERVAL_MS (3600000)
                                          last month's reports, generated and stored once
  CHROMIUM_PATH (/usr/bin/chromium)       Chromium that prints PDF reports
  STATE_REFRESH_MS (10000)                reload decisions other processes on the same store wrote
  FORWARD_ENABLED (true)                  deliver the SIEM outbox from this process (one per store)
  AUTH_MAX_FAILURES_PER_MINUTE (20), LOG_LEVEL (info)

The README's configuration table describes every variable.

Stops cleanly on SIGINT/SIGTERM: sources first, then the detector, then the store.
`;

export async function startCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    io.out(START_HELP);
    await io.flush();
    return 0;
  }
  const config = loadConfig();
  const runtime = await startRuntime(config);
  const embedded = runtime.store.kind === 'embedded' ? ` (embedded store in ${runtime.store.location})` : '';
  io.err(`shadow-ai listening on ${runtime.url}${embedded}; API docs at ${runtime.url}/docs\n`);
  if (runtime.needsKey) {
    io.err('no API keys yet: create the first admin key with `npx shadow-ai keys create --role admin` (or set SHADOW_AI_ADMIN_TOKEN)\n');
  }
  const sp = runtime.syslogPorts;
  if (sp) io.err(`syslog listening on${sp.udp !== null ? ` udp/${sp.udp}` : ''}${sp.tcp !== null ? ` tcp/${sp.tcp}` : ''}${sp.tls !== null ? ` tls/${sp.tls}` : ''}\n`);
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      runtime.log.info({ signal }, 'shutting down');
      runtime.stop().then(
        () => resolve(0),
        (err: unknown) => {
          runtime.log.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
}
