import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Config, KafkaSaslMechanism, KafkaSecurityProtocol } from '@shadow-ai/core';
import type { SASLOptions } from 'kafkajs';

/** How a client reaches the brokers: TLS material as PEM text, SASL credentials in clear (never logged). */
export interface KafkaSecurity {
  protocol: KafkaSecurityProtocol;
  /** CA bundle trusted for the brokers' certificates instead of the system store. */
  ca?: string | undefined;
  /** Client certificate and key, for brokers that require mutual TLS. */
  cert?: string | undefined;
  key?: string | undefined;
  /** Default true; false accepts any broker certificate (lab setups only). */
  rejectUnauthorized?: boolean | undefined;
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: string } | undefined;
}

/** The kafkajs `ssl` and `sasl` options for a security setting. */
export function kafkaClientSecurity(security: KafkaSecurity | undefined): { ssl?: ConnectionOptions; sasl?: SASLOptions } {
  if (!security || security.protocol === 'plaintext') return {};
  const out: { ssl?: ConnectionOptions; sasl?: SASLOptions } = {};
  if (security.protocol === 'ssl' || security.protocol === 'sasl_ssl') {
    out.ssl = {
      rejectUnauthorized: security.rejectUnauthorized ?? true,
      ...(security.ca !== undefined && { ca: security.ca }),
      ...(security.cert !== undefined && { cert: security.cert }),
      ...(security.key !== undefined && { key: security.key }),
    };
  }
  if (security.protocol === 'sasl_plaintext' || security.protocol === 'sasl_ssl') {
    const { sasl } = security;
    if (!sasl) throw new Error(`Kafka security protocol ${security.protocol} needs SASL credentials`);
    out.sasl = { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions;
  }
  return out;
}

type SecurityConfig = Pick<
  Config,
  | 'KAFKA_SECURITY_PROTOCOL'
  | 'KAFKA_SSL_CA_FILE'
  | 'KAFKA_SSL_CERT_FILE'
  | 'KAFKA_SSL_KEY_FILE'
  | 'KAFKA_SASL_MECHANISM'
  | 'KAFKA_SASL_USERNAME'
  | 'KAFKA_SASL_PASSWORD'
  | 'KAFKA_SASL_PASSWORD_FILE'
>;

/**
 * The service's own Kafka security from its configuration (already checked by loadConfig): the PEM
 * and password files are read here, once, with an error naming the variable when one cannot be read.
 */
export function kafkaSecurityFromConfig(config: SecurityConfig): KafkaSecurity {
  const read = (name: keyof SecurityConfig, path: string | undefined): string | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`${name}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const protocol = config.KAFKA_SECURITY_PROTOCOL;
  const passwordFile = read('KAFKA_SASL_PASSWORD_FILE', config.KAFKA_SASL_PASSWORD_FILE);
  const password = config.KAFKA_SASL_PASSWORD ?? passwordFile?.replace(/\r?\n$/, '');
  return {
    protocol,
    ca: read('KAFKA_SSL_CA_FILE', config.KAFKA_SSL_CA_FILE),
    cert: read('KAFKA_SSL_CERT_FILE', config.KAFKA_SSL_CERT_FILE),
    key: read('KAFKA_SSL_KEY_FILE', config.KAFKA_SSL_KEY_FILE),
    sasl:
      config.KAFKA_SASL_MECHANISM && config.KAFKA_SASL_USERNAME && password !== undefined
        ? { mechanism: config.KAFKA_SASL_MECHANISM, username: config.KAFKA_SASL_USERNAME, password }
        : undefined,
  };
}
