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
});
