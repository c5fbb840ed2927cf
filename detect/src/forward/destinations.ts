/**
 * Forwarding destinations as configuration objects. The outbox takes them as input; the schema is
 * exported so whatever stores them (the API) validates the same shape the transports expect.
 * Defaults are applied by the transports, not by the schema, so a stored config stays what the
 * operator wrote and a changed default applies to it.
 */
import { KAFKA_SASL_MECHANISMS, KAFKA_SECURITY_PROTOCOLS } from '@shadow-ai/core';
import { z } from 'zod';
import { MESSAGE_FORMATS, type MessageFormat } from './formats.ts';

const base = {
  /** Stable id: part of every idempotency id and the key of the outbox rows. Changing it re-sends everything. */
  id: z.string().trim().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only'),
  format: z.enum(MESSAGE_FORMATS).optional(),
  /** Findings below this 0–100 severity are not enqueued for the destination. */
  minSeverity: z.number().min(0).max(100).optional(),
};

const tlsOptions = {
  /** PEM CA bundle trusted for the receiver's certificate (instead of the system store). */
  ca: z.string().min(1).optional(),
  /** Client certificate and key (PEM) for receivers that require mutual TLS. */
  cert: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  /** Default true. false accepts any certificate: only for tests and lab setups. */
  rejectUnauthorized: z.boolean().optional(),
};

const port = z.number().int().min(1).max(65535);
const httpUrl = z.url({ protocol: /^https?$/ });

export const syslogDestinationSchema = z.object({
  ...base,
  type: z.literal('syslog'),
  protocol: z.enum(['udp', 'tcp', 'tls']),
  host: z.string().trim().min(1),
  port,
  ...tlsOptions,
  /** TLS server name (SNI and certificate check); defaults to host when host is a name. */
  servername: z.string().min(1).optional(),
  /** Syslog facility 0–23; default 16 (local0). */
  facility: z.number().int().min(0).max(23).optional(),
  /** HOSTNAME in the RFC 5424 header; default os.hostname(). */
  hostname: z.string().min(1).optional(),
  connectTimeoutMs: z.number().int().positive().optional(),
  /**
   * TCP/TLS: how long a connection must stay up after a batch was written before the batch counts as
   * delivered (default 100 ms). Plain syslog has no acknowledgements; a receiver that dies while
   * reading resets the connection, and this window is what turns that reset into a retry.
   */
  settleMs: z.number().int().min(0).optional(),
});

export const splunkHecDestinationSchema = z.object({
  ...base,
  type: z.literal('splunk-hec'),
  /** Base URL (`https://splunk:8088`) or the full event endpoint URL. */
  url: httpUrl,
  token: z.string().min(1),
  /** Default `shadow-ai:finding`. */
  sourcetype: z.string().min(1).optional(),
  /** Default `shadow-ai`. */
  source: z.string().min(1).optional(),
  index: z.string().min(1).optional(),
  host: z.string().min(1).optional(),
  ...tlsOptions,
  timeoutMs: z.number().int().positive().optional(),
});

export const webhookDestinationSchema = z.object({
  ...base,
  type: z.literal('webhook'),
  url: httpUrl,
  /** HMAC-SHA256 key of X-Shadow-AI-Signature. */
  secret: z.string().min(1),
  /** Extra request headers (e.g. an API key the receiver wants). */
  headers: z.record(z.string(), z.string()).optional(),
  ...tlsOptions,
  timeoutMs: z.number().int().positive().optional(),
});

export const kafkaDestinationSchema = z.object({
  ...base,
  type: z.literal('kafka'),
  /** Comma-separated bootstrap brokers. */
  brokers: z.string().trim().min(1),
  /** Default `findings`. The topic must exist: the producer does not create topics. */
  topic: z.string().min(1).optional(),
  clientId: z.string().min(1).optional(),
  /** Kafka's security.protocol, default plaintext; ssl and sasl_ssl use the TLS options below. */
  securityProtocol: z.enum(KAFKA_SECURITY_PROTOCOLS).optional(),
  ...tlsOptions,
  /** Credentials for sasl_plaintext and sasl_ssl; the password is never shown back. */
  sasl: z
    .object({ mechanism: z.enum(KAFKA_SASL_MECHANISMS), username: z.string().min(1), password: z.string().min(1) })
    .optional(),
}).superRefine((d, ctx) => {
  const protocol = d.securityProtocol ?? 'plaintext';
  const usesSasl = protocol === 'sasl_plaintext' || protocol === 'sasl_ssl';
  const usesTls = protocol === 'ssl' || protocol === 'sasl_ssl';
  if (usesSasl && !d.sasl) ctx.addIssue({ code: 'custom', path: ['sasl'], message: `securityProtocol ${protocol} needs sasl credentials` });
  if (!usesSasl && d.sasl) ctx.addIssue({ code: 'custom', path: ['sasl'], message: `sasl credentials need securityProtocol sasl_plaintext or sasl_ssl` });
  for (const k of ['ca', 'cert', 'key', 'rejectUnauthorized'] as const) {
    if (!usesTls && d[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `${k} needs securityProtocol ssl or sasl_ssl` });
  }
});

export const destinationSchema = z.discriminatedUnion('type', [
  syslogDestinationSchema,
  splunkHecDestinationSchema,
  webhookDestinationSchema,
  kafkaDestinationSchema,
]);

export type SyslogDestination = z.infer<typeof syslogDestinationSchema>;
export type SplunkHecDestination = z.infer<typeof splunkHecDestinationSchema>;
export type WebhookDestination = z.infer<typeof webhookDestinationSchema>;
export type KafkaDestination = z.infer<typeof kafkaDestinationSchema>;
export type DestinationConfig = z.infer<typeof destinationSchema>;
export type DestinationType = DestinationConfig['type'];

/** Syslog carries SIEM lines (CEF); the HTTP and Kafka transports carry JSON documents. */
export function destinationFormat(dest: DestinationConfig): MessageFormat {
  return dest.format ?? (dest.type === 'syslog' ? 'cef' : 'json');
}
