import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('applies defaults and coerces numbers', () => {
    const c = loadConfig({ PORT: '9090', INGEST_BATCH_SIZE: '100' });
    expect(c.PORT).toBe(9090);
    expect(c.INGEST_BATCH_SIZE).toBe(100);
    expect(c.KAFKA_TOPICS).toEqual([
      { topic: 'proxy-logs', format: 'squid' },
      { topic: 'dns-logs', format: 'bind' },
    ]);
    expect(c.KAFKA_BROKERS).toBeUndefined();
    expect(c.CLICKHOUSE_URL).toBeUndefined();
  });

  it('parses topic:format pairs, with colons allowed in topic names', () => {
    expect(loadConfig({ KAFKA_TOPICS: 'a:squid, ns:b:bind' }).KAFKA_TOPICS).toEqual([
      { topic: 'a', format: 'squid' },
      { topic: 'ns:b', format: 'bind' },
    ]);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ KAFKA_BROKERS: '', CLICKHOUSE_URL: ' ' }).KAFKA_BROKERS).toBeUndefined();
  });

  it('names every invalid variable in one error', () => {
    expect(() => loadConfig({ PORT: 'eighty', KAFKA_TOPICS: 'nocolon', SHADOW_AI_FAILPOINT: 'typo' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'eighty', KAFKA_TOPICS: 'nocolon' });
    } catch (e) {
      expect((e as Error).message).toMatch(/PORT/);
      expect((e as Error).message).toMatch(/KAFKA_TOPICS: expected topic:format, got "nocolon"/);
    }
  });

  it('reads the monthly report settings, with defaults, and refuses unknown formats and days past the 28th', () => {
    const d = loadConfig({});
    expect([d.REPORT_ENABLED, d.REPORT_SCHEDULE_DAY, d.REPORT_FORMATS, d.CHROMIUM_PATH]).toEqual([true, 1, ['html', 'pdf', 'json'], '/usr/bin/chromium']);
    const c = loadConfig({ REPORT_ENABLED: 'false', REPORT_SCHEDULE_DAY: '5', REPORT_FORMATS: 'csv, json,csv' });
    expect([c.REPORT_ENABLED, c.REPORT_SCHEDULE_DAY, c.REPORT_FORMATS]).toEqual([false, 5, ['csv', 'json']]);
    expect(() => loadConfig({ REPORT_FORMATS: 'html,docx' })).toThrow(/REPORT_FORMATS: unknown report format "docx"/);
    expect(() => loadConfig({ REPORT_SCHEDULE_DAY: '31' })).toThrow(/REPORT_SCHEDULE_DAY/);
  });

  it('reads the Kafka security settings as Kafka writes them, and refuses half-made ones', () => {
    expect(loadConfig({}).KAFKA_SECURITY_PROTOCOL).toBe('plaintext');
    const c = loadConfig({
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'svc', KAFKA_SASL_PASSWORD: 'pw', KAFKA_SSL_CA_FILE: '/etc/ca.pem',
    });
    expect([c.KAFKA_SECURITY_PROTOCOL, c.KAFKA_SASL_MECHANISM, c.KAFKA_SSL_CA_FILE]).toEqual(['sasl_ssl', 'scram-sha-512', '/etc/ca.pem']);
    expect(() => loadConfig({ KAFKA_SECURITY_PROTOCOL: 'tls' })).toThrow(/KAFKA_SECURITY_PROTOCOL/);
    expect(() => loadConfig({ KAFKA_SECURITY_PROTOCOL: 'sasl_ssl', KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toThrow(/KAFKA_SASL_MECHANISM/);
    expect(() => loadConfig({ KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext', KAFKA_SASL_MECHANISM: 'plain' })).toThrow(
      /needs KAFKA_SASL_USERNAME[\s\S]*needs one of KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE/,
    );
    expect(() => loadConfig({ KAFKA_SECURITY_PROTOCOL: 'sasl_ssl', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p', KAFKA_SASL_PASSWORD_FILE: '/p' })).toThrow(
      /needs one of KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE/,
    );
    // Settings that would be ignored are a mistake, not a default.
    expect(() => loadConfig({ KAFKA_SSL_CA_FILE: '/etc/ca.pem' })).toThrow(/KAFKA_SSL_CA_FILE set, but KAFKA_SECURITY_PROTOCOL=plaintext does not use TLS/);
    expect(() => loadConfig({ KAFKA_SECURITY_PROTOCOL: 'ssl', KAFKA_SASL_USERNAME: 'u' })).toThrow(/KAFKA_SASL_USERNAME set, but KAFKA_SECURITY_PROTOCOL=ssl does not use SASL/);
    expect(() => loadConfig({ KAFKA_SECURITY_PROTOCOL: 'ssl', KAFKA_SSL_CERT_FILE: '/c.pem' })).toThrow(/KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together/);
  });
});
