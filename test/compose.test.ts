import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '@shadow-ai/core';
import { REPO_ROOT } from './support/service.ts';

interface Service {
  image?: string;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  command?: string[] | string;
  ports?: string[];
  healthcheck?: unknown;
}

const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
const services = compose.services;

describe('docker-compose.yml', () => {
  it('defines Kafka, ClickHouse, the shadow-ai service and a replayer', () => {
    expect(Object.keys(services).sort()).toEqual(['clickhouse', 'kafka', 'replayer', 'shadow-ai']);
  });

  it('pins every image to a version tag', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, name).toMatch(/^[a-z0-9./-]+:\d+(\.\d+)*[a-z0-9.-]*$/);
      expect(s.image, name).not.toMatch(/:latest$/);
    }
  });

  it('wires the service to the Kafka listener and ClickHouse HTTP port of the other services', () => {
    const env = services['shadow-ai']!.environment!;
    const kafkaEnv = services.kafka!.environment!;
    const advertised = kafkaEnv.KAFKA_ADVERTISED_LISTENERS!.replace(/^PLAINTEXT:\/\//, '');
    expect(env.KAFKA_BROKERS).toBe(advertised);
    expect(env.CLICKHOUSE_URL).toBe('http://clickhouse:8123');
    const ch = services.clickhouse!.environment!;
    expect([env.CLICKHOUSE_USER, env.CLICKHOUSE_PASSWORD, env.CLICKHOUSE_DATABASE]).toEqual([ch.CLICKHOUSE_USER, ch.CLICKHOUSE_PASSWORD, ch.CLICKHOUSE_DB]);
    expect(Object.keys(services['shadow-ai']!.depends_on!).sort()).toEqual(['clickhouse', 'kafka']);
    expect(env.PORT).toBe('8080');
    expect(services['shadow-ai']!.ports).toContain('8080:8080');
  });

  it('passes an environment the service accepts', () => {
    const env = services['shadow-ai']!.environment!;
    const config = loadConfig(env);
    expect(config.KAFKA_TOPICS.map((t) => t.topic).sort()).toEqual(['dns-logs', 'proxy-logs']);
    // The sanctions file is mounted from the repo at /app.
    expect(existsSync(join(REPO_ROOT, env.SHADOW_AI_SANCTIONS_FILE!.replace(/^\/app\//, '')))).toBe(true);
  });

  it('replays sample files that exist into the topics the service consumes', () => {
    const script = String(services.replayer!.command);
    const env = services['shadow-ai']!.environment!;
    for (const { topic } of loadConfig(env).KAFKA_TOPICS) expect(script).toContain(`--topic ${topic}`);
    for (const m of script.matchAll(/\/samples\/([\w.-]+)/g)) {
      expect(existsSync(join(REPO_ROOT, 'test/fixtures', m[1]!)), m[1]).toBe(true);
    }
  });
});
