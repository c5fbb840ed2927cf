import { z } from 'zod';
import { isValidTimeZone } from './time-zone.ts';

/** `topic:format` pairs, e.g. `proxy-logs:squid,dns-logs:bind`. */
const topicList = z.string().transform((value, ctx) => {
  const out: { topic: string; format: string }[] = [];
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const idx = part.lastIndexOf(':');
    if (idx <= 0 || idx === part.length - 1) {
      ctx.addIssue({ code: 'custom', message: `expected topic:format, got "${part}"` });
      return z.NEVER;
    }
    out.push({ topic: part.slice(0, idx), format: part.slice(idx + 1) });
  }
  return out;
});

const optionalString = z.string().trim().min(1).optional().catch(undefined);

/** Kafka's `security.protocol` values, lower-cased. */
export const KAFKA_SECURITY_PROTOCOLS = ['plaintext', 'ssl', 'sasl_plaintext', 'sasl_ssl'] as const;
export type KafkaSecurityProtocol = (typeof KAFKA_SECURITY_PROTOCOLS)[number];
/** The SASL mechanisms kafkajs speaks with a user name and password. */
export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

/** An enum written the way Kafka's own configuration does (`SASL_SSL`, `SCRAM-SHA-512`) or lower-case. */
const caseless = <T extends readonly [string, ...string[]]>(values: T) =>
  z.string().trim().toLowerCase().pipe(z.enum(values));

/**
 * One schema for the whole service, parsed once at start-up. The parsed object is passed down;
 * nothing below reads process.env.
 */
export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHADOW_AI_DATA_DIR: z.string().default('./data'),
  SHADOW_AI_SANCTIONS_FILE: optionalString,
  CLICKHOUSE_URL: optionalString,
  CLICKHOUSE_USER: optionalString,
  CLICKHOUSE_PASSWORD: optionalString,
  CLICKHOUSE_DATABASE: z.string().default('default'),
  /**
   * Name of a cluster in the server's remote_servers: the schema becomes Replicated tables with
   * Distributed tables over them, created ON CLUSTER (see packages/clickhouse/src/cluster.ts).
   */
  CLICKHOUSE_CLUSTER: optionalString.refine((v) => v === undefined || /^\w+$/.test(v), 'a cluster name is a plain identifier'),
  /** Per query; a heavy query fails instead of taking the process down. */
  CLICKHOUSE_MAX_MEMORY_USAGE: z.coerce.number().int().positive().default(4 * 1024 ** 3),
  KAFKA_BROKERS: optionalString,
  KAFKA_CLIENT_ID: z.string().default('shadow-ai'),
  KAFKA_GROUP_ID: z.string().default('shadow-ai-ingest'),
  KAFKA_TOPICS: topicList.default([
    { topic: 'proxy-logs', format: 'squid' },
    { topic: 'dns-logs', format: 'bind' },
  ]),
  KAFKA_DLQ_SUFFIX: z.string().default('.dlq'),
  /** `topic:Zone/Name,…`: time zone of a topic's timestamps that carry no offset (default INGEST_TIMEZONE). */
  KAFKA_TOPIC_TIMEZONES: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const out: Record<string, string> = {};
      for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
        const idx = part.lastIndexOf(':');
        const zone = part.slice(idx + 1);
        if (idx <= 0 || !isValidTimeZone(zone)) {
          ctx.addIssue({ code: 'custom', message: `expected topic:IANA-zone, got "${part}"` });
          return z.NEVER;
        }
        out[part.slice(0, idx)] = zone;
      }
      return out;
    }),
  /** How long the group waits for a silent consumer before giving its partitions to another. */
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(30_000),
  KAFKA_PARTITIONS_CONCURRENTLY: z.coerce.number().int().positive().default(2),
  /** How the consumers (and the DLQ producer) reach the brokers: Kafka's security.protocol. */
  KAFKA_SECURITY_PROTOCOL: caseless(KAFKA_SECURITY_PROTOCOLS).default('plaintext'),
  /** PEM files: the CA that signed the brokers' certificates; a client certificate and key for mutual TLS. */
  KAFKA_SSL_CA_FILE: optionalString,
  KAFKA_SSL_CERT_FILE: optionalString,
  KAFKA_SSL_KEY_FILE: optionalString,
  KAFKA_SASL_MECHANISM: caseless(KAFKA_SASL_MECHANISMS).optional(),
  KAFKA_SASL_USERNAME: optionalString,
  /** Never logged. KAFKA_SASL_PASSWORD_FILE reads it from a file (a mounted secret) instead. */
  KAFKA_SASL_PASSWORD: optionalString,
  KAFKA_SASL_PASSWORD_FILE: optionalString,
  /** Most rows in one insert: one insert is one atomic block, which crash recovery relies on. */
  INGEST_BATCH_SIZE: z.coerce.number().int().positive().max(500_000).default(20_000),
  /** IANA zone of timestamps without an offset (BIND, Windows DNS, …) for every source not configured otherwise. */
  INGEST_TIMEZONE: z.string().default('UTC').refine(isValidTimeZone, 'unknown IANA time zone'),
  /** Field map for the `json` format: {"ts":"@timestamp","host":"destination.domain",…} (dotted paths). */
  INGEST_JSON_FIELD_MAP: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v) return undefined;
      try {
        const parsed: unknown = JSON.parse(v);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        return parsed as Record<string, string>;
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: `not a JSON object: ${(e as Error).message}` });
        return z.NEVER;
      }
    }),
  /** The squid.conf `logformat` directive for the `squid-custom` format. */
  INGEST_SQUID_LOGFORMAT: optionalString,
  /** Lines longer than this are dead-lettered, not parsed. */
  INGEST_MAX_LINE_BYTES: z.coerce.number().int().positive().default(64 * 1024),
  INGEST_MAX_BODY_BYTES: z.coerce.number().int().positive().default(32 * 1024 * 1024),
  /** How long a failing store insert is retried (with backoff) before the consumer gives up the batch. */
  INGEST_STORE_RETRY_MS: z.coerce.number().int().positive().default(5 * 60_000),
  SYSLOG_HOST: z.string().default('127.0.0.1'),
  /** Syslog listeners; each is off unless its port is set (0 picks a free port). */
  SYSLOG_UDP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  SYSLOG_TCP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  SYSLOG_TLS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  SYSLOG_TLS_CERT: optionalString,
  SYSLOG_TLS_KEY: optionalString,
  /** Payload format of syslog messages, or `auto` (detected per reporting device). */
  SYSLOG_FORMAT: z.string().default('auto'),
  /** IANA zone for syslog headers and payloads without an offset (RFC 3164 times). */
  SYSLOG_TIMEZONE: optionalString.refine((z) => z === undefined || isValidTimeZone(z), 'unknown IANA time zone'),
  /** `short`: CORP\\alice, alice@corp.example and Alice are all `alice`; `as-logged` keeps users as they are. */
  IDENTITY_USER_FORMAT: z.enum(['short', 'as-logged']).default('short'),
  /** How long a lease without an end (a logon event) lasts unless a later lease of the address replaces it. */
  IDENTITY_DEFAULT_TTL_MS: z.coerce.number().int().positive().default(10 * 3600_000),
  /** Kafka topic of identity events (leases, logons) as JSON lines; consumed when KAFKA_BROKERS is set. */
  KAFKA_IDENTITY_TOPIC: z.string().default('identity-events'),
  /** GeoLite2-ASN-shaped MMDB file for the AS number/organisation of destination IPs. */
  GEOIP_ASN_DB: optionalString,
  /** Country MMDB: a file path, `bundled` (the free database shipped on npm), or `off`. */
  GEOIP_COUNTRY_DB: z.string().default('bundled'),
  /** Bootstrap bearer token with the admin role, for automation. Never logged. */
  SHADOW_AI_ADMIN_TOKEN: optionalString,
  OIDC_ISSUER: optionalString,
  OIDC_AUDIENCE: optionalString,
  OIDC_JWKS_URL: optionalString,
  /** JWT claim with the user's roles or groups */
  OIDC_ROLE_CLAIM: z.string().default('roles'),
  /** claim value → role, e.g. `soc-analysts:analyst,it-admins:admin` */
  OIDC_ROLE_MAP: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const out: Record<string, 'viewer' | 'analyst' | 'admin'> = {};
      for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
        const idx = part.lastIndexOf(':');
        const role = part.slice(idx + 1);
        if (idx <= 0 || !['viewer', 'analyst', 'admin'].includes(role)) {
          ctx.addIssue({ code: 'custom', message: `expected claimValue:viewer|analyst|admin, got "${part}"` });
          return z.NEVER;
        }
        out[part.slice(0, idx)] = role as 'viewer' | 'analyst' | 'admin';
      }
      return out;
    }),
  /** failed authentications per client address per minute before 429 */
  AUTH_MAX_FAILURES_PER_MINUTE: z.coerce.number().int().positive().default(20),
  /** Pseudonymisation mode: identities stored and shown as keyed hashes. */
  SHADOW_AI_PSEUDONYMIZE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** Per-installation secret for pseudonyms (at least 32 characters); required with SHADOW_AI_PSEUDONYMIZE. */
  SHADOW_AI_PSEUDONYM_SECRET: optionalString,
  /** large-upload: daily upload to one unsanctioned/unknown app above this many bytes … */
  DETECT_LARGE_UPLOAD_BYTES: z.coerce.number().int().positive().default(10 * 1024 * 1024),
  /** … and this many times the user's average daily upload of the 30 days before */
  DETECT_UPLOAD_BASELINE_FACTOR: z.coerce.number().positive().default(5),
  /** usage-spike: a day with this many times an app's 7-day average, and at least DETECT_SPIKE_MIN_REQUESTS */
  DETECT_SPIKE_FACTOR: z.coerce.number().positive().default(3),
  DETECT_SPIKE_MIN_REQUESTS: z.coerce.number().int().positive().default(50),
  /** user names that are machine identities (service accounts) for the agent findings */
  DETECT_AGENT_USER_PATTERN: z
    .string()
    .default('^(?:svc|sa|app|bot|agent)[-_.]|\\$$')
    .transform((v, ctx) => {
      try {
        return new RegExp(v, 'i');
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: `not a regular expression: ${(e as Error).message}` });
        return z.NEVER;
      }
    }),
  /** Raw events older than this many days are dropped by ClickHouse (TTL); 0 keeps them forever. */
  RETENTION_EVENTS_DAYS: z.coerce.number().int().min(0).max(36500).default(180),
  /** Daily aggregates (usage, activity, signals) are kept this long; 0 keeps them forever. */
  RETENTION_AGGREGATES_DAYS: z.coerce.number().int().min(0).max(36500).default(1095),
  DETECT_INTERVAL_MS: z.coerce.number().int().positive().default(1000),
  /**
   * How often decisions other processes may have written (sanctions, groups, agents, suppression rules,
   * destinations) are checked for changes and reloaded: several processes can share one store.
   */
  STATE_REFRESH_MS: z.coerce.number().int().min(100).default(10_000),
  /**
   * Whether this process delivers the forwarding outbox. Every process enqueues; with several processes
   * on one store, let one deliver (the others set false), or receivers see each message more than once.
   */
  FORWARD_ENABLED: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /** Chromium (or Chrome) executable that prints PDF reports. */
  CHROMIUM_PATH: z.string().default('/usr/bin/chromium'),
  /** Monthly reports generated and stored by the running service. */
  REPORT_ENABLED: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /** Day of the month (UTC) on or after which last month's reports are generated. */
  REPORT_SCHEDULE_DAY: z.coerce.number().int().min(1).max(28).default(1),
  /** Formats generated on schedule, comma-separated: html, pdf, csv, json. */
  REPORT_FORMATS: z
    .string()
    .default('html,pdf,json')
    .transform((value, ctx) => {
      const out: ('html' | 'pdf' | 'csv' | 'json')[] = [];
      for (const f of value.split(',').map((p) => p.trim()).filter(Boolean)) {
        if (f !== 'html' && f !== 'pdf' && f !== 'csv' && f !== 'json') {
          ctx.addIssue({ code: 'custom', message: `unknown report format "${f}" (html, pdf, csv, json)` });
          return z.NEVER;
        }
        if (!out.includes(f)) out.push(f);
      }
      return out;
    }),
  /** How often the service checks whether a scheduled report is due (the first check comes one interval after start, at most 5 minutes). */
  REPORT_CHECK_INTERVAL_MS: z.coerce.number().int().min(100).default(3600_000),
  /**
   * Test-only fault injection: `exit-after-insert` ends the process right after a Kafka batch is
   * stored and before its offset is committed. Never set it in production.
   */
  SHADOW_AI_FAILPOINT: z.enum(['exit-after-insert']).optional(),
});

export type Config = z.infer<typeof configSchema>;

/** Cross-field rules the schema cannot state field by field. */
function checkConfig(c: Config): string[] {
  const problems: string[] = [];
  const oidc = [c.OIDC_ISSUER, c.OIDC_AUDIENCE, c.OIDC_JWKS_URL].filter(Boolean).length;
  if (oidc > 0 && oidc < 3) problems.push('OIDC_ISSUER, OIDC_AUDIENCE and OIDC_JWKS_URL go together');
  if (c.SHADOW_AI_PSEUDONYMIZE && (c.SHADOW_AI_PSEUDONYM_SECRET?.length ?? 0) < 32) {
    problems.push('SHADOW_AI_PSEUDONYMIZE needs SHADOW_AI_PSEUDONYM_SECRET of at least 32 characters');
  }
  if (c.CLICKHOUSE_CLUSTER && !c.CLICKHOUSE_URL) problems.push('CLICKHOUSE_CLUSTER needs CLICKHOUSE_URL: the embedded store is a single node');
  if (c.SHADOW_AI_ADMIN_TOKEN !== undefined && c.SHADOW_AI_ADMIN_TOKEN.length < 16) problems.push('SHADOW_AI_ADMIN_TOKEN must be at least 16 characters');
  problems.push(...kafkaSecurityProblems(c));
  return problems;
}

/** A half-configured Kafka security setting would silently connect without it, or never connect. */
function kafkaSecurityProblems(c: Config): string[] {
  const problems: string[] = [];
  const protocol = c.KAFKA_SECURITY_PROTOCOL;
  const tls = protocol === 'ssl' || protocol === 'sasl_ssl';
  const sasl = protocol === 'sasl_plaintext' || protocol === 'sasl_ssl';
  const tlsFiles = (['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const).filter((k) => c[k] !== undefined);
  if (!tls && tlsFiles.length > 0) problems.push(`${tlsFiles.join(', ')} set, but KAFKA_SECURITY_PROTOCOL=${protocol} does not use TLS (ssl or sasl_ssl)`);
  if ((c.KAFKA_SSL_CERT_FILE === undefined) !== (c.KAFKA_SSL_KEY_FILE === undefined)) problems.push('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together');
  const saslVars = (['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD_FILE'] as const).filter((k) => c[k] !== undefined);
  if (!sasl && saslVars.length > 0) problems.push(`${saslVars.join(', ')} set, but KAFKA_SECURITY_PROTOCOL=${protocol} does not use SASL (sasl_plaintext or sasl_ssl)`);
  if (sasl) {
    if (c.KAFKA_SASL_MECHANISM === undefined) problems.push(`KAFKA_SECURITY_PROTOCOL=${protocol} needs KAFKA_SASL_MECHANISM (${KAFKA_SASL_MECHANISMS.join(', ')})`);
    if (c.KAFKA_SASL_USERNAME === undefined) problems.push(`KAFKA_SECURITY_PROTOCOL=${protocol} needs KAFKA_SASL_USERNAME`);
    const passwords = [c.KAFKA_SASL_PASSWORD, c.KAFKA_SASL_PASSWORD_FILE].filter((v) => v !== undefined).length;
    if (passwords !== 1) problems.push(`KAFKA_SECURITY_PROTOCOL=${protocol} needs one of KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE`);
  }
  return problems;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const problems = checkConfig(result.data);
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return result.data;
}
