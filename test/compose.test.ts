import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '@shadow-ai/core';
import { clusterMigrations, readMigrations } from '@shadow-ai/clickhouse';
import { REPO_ROOT } from './support/service.ts';

interface Service {
  image?: string;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  command?: string[] | string;
  ports?: string[];
  healthcheck?: unknown;
  profiles?: string[];
}

// `merge`: the file uses YAML merge keys (`<<: *anchor`), as Docker Compose does.
const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;

describe('docker-compose.yml', () => {
  it('defines Kafka, ClickHouse, the shadow-ai service, a replayer and Grafana, and the cluster profile apart', () => {
    const base = Object.entries(services).filter(([, s]) => !s.profiles).map(([n]) => n);
    expect(base.sort()).toEqual(['clickhouse', 'grafana', 'kafka', 'replayer', 'shadow-ai']);
    const cluster = Object.entries(services).filter(([, s]) => s.profiles?.includes('cluster')).map(([n]) => n);
    expect(cluster.sort()).toEqual(['ch-s1r1', 'ch-s1r2', 'ch-s2r1', 'ch-s2r2', 'consumer-1', 'consumer-2', 'keeper-1', 'keeper-2', 'keeper-3']);
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

  it('runs Grafana with the ClickHouse plugin, no anonymous access and the admin password from the environment', () => {
    const g = services.grafana!;
    const env = g.environment!;
    expect(g.image).toMatch(/^grafana\/grafana(-oss)?:/);
    expect(env.GF_PLUGINS_PREINSTALL?.split(',').map((p) => p.trim())).toContain('grafana-clickhouse-datasource');
    expect(env.GF_AUTH_ANONYMOUS_ENABLED).toBe('false');
    expect(env.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD(:-[^}]+)?\}$/);
    expect(g.ports).toContain('3000:3000');
    expect(Object.keys(g.depends_on!)).toEqual(['clickhouse']);
  });

  it('mounts Grafana provisioning and dashboards that exist, wired to the ClickHouse service', () => {
    const g = services.grafana!;
    const binds = (g.volumes ?? []).filter((v) => v.startsWith('./')).map((v) => {
      const [host, container] = v.split(':');
      return { host: host!, container: container! };
    });
    for (const b of binds) expect(existsSync(join(REPO_ROOT, b.host)), b.host).toBe(true);
    const provisioning = binds.find((b) => b.container === '/etc/grafana/provisioning')!;
    const datasourceFile = join(REPO_ROOT, provisioning.host, 'datasources/clickhouse.yaml');
    const ds = (parse(readFileSync(datasourceFile, 'utf8')) as { datasources: { type: string; jsonData: Record<string, string>; secureJsonData: Record<string, string> }[] }).datasources[0]!;
    expect(ds.type).toBe('grafana-clickhouse-datasource');
    // The datasource reads $VARS from the grafana service's environment; they must match the ClickHouse service.
    const resolve = (v: string) => v.replace(/^\$\{?(\w+)\}?$/, (_m, name: string) => g.environment![name] ?? `<unset ${name}>`);
    const ch = services.clickhouse!.environment!;
    expect(resolve(ds.jsonData.host!)).toBe('clickhouse');
    expect(resolve(String(ds.jsonData.port))).toBe('8123');
    expect(ds.jsonData.protocol).toBe('http');
    expect([resolve(ds.jsonData.username!), resolve(ds.secureJsonData.password!), resolve(ds.jsonData.defaultDatabase!)]).toEqual([
      ch.CLICKHOUSE_USER,
      ch.CLICKHOUSE_PASSWORD,
      ch.CLICKHOUSE_DB,
    ]);
    // The dashboards provider reads the directory the dashboard JSON is mounted at.
    const provider = (parse(readFileSync(join(REPO_ROOT, provisioning.host, 'dashboards/shadow-ai.yaml'), 'utf8')) as { providers: { type: string; options: { path: string } }[] }).providers[0]!;
    const dashboards = binds.find((b) => b.container === provider.options.path);
    expect(dashboards, `nothing mounted at ${provider.options.path}`).toBeDefined();
    expect(readdirSync(join(REPO_ROOT, dashboards!.host)).filter((f) => f.endsWith('.json')).length).toBeGreaterThan(0);
  });

  it('replays sample files that exist into the topics the service consumes', () => {
    const script = String(services.replayer!.command);
    const env = services['shadow-ai']!.environment!;
    for (const { topic } of loadConfig(env).KAFKA_TOPICS) expect(script).toContain(`--topic ${topic}`);
    for (const m of script.matchAll(/\/samples\/([\w.-]+)/g)) {
      expect(existsSync(join(REPO_ROOT, 'test/fixtures', m[1]!)), m[1]).toBe(true);
    }
  });

  describe('cluster profile', () => {
    const xml = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
    const mounted = (name: string, container: string) => {
      const v = services[name]!.volumes!.find((m) => m.split(':')[1] === container);
      expect(v, `${name} mounts ${container}`).toBeDefined();
      const host = v!.split(':')[0]!;
      expect(existsSync(join(REPO_ROOT, host)), host).toBe(true);
      return xml(host);
    };
    const all = (text: string, re: RegExp) => [...text.matchAll(re)].map((m) => m.slice(1));
    const nodes = ['ch-s1r1', 'ch-s1r2', 'ch-s2r1', 'ch-s2r2'];
    const keepers = ['keeper-1', 'keeper-2', 'keeper-3'];

    it('runs three Keeper nodes whose ids and hosts match the raft configuration they share', () => {
      const configs = keepers.map((k) => mounted(k, '/etc/clickhouse-keeper/keeper_config.xml'));
      expect(new Set(configs).size).toBe(1);
      expect(configs[0]).toContain('<server_id from_env="KEEPER_SERVER_ID"/>');
      const raft = all(configs[0]!, /<server><id>(\d+)<\/id><hostname>([\w-]+)<\/hostname><port>(\d+)<\/port><\/server>/g);
      expect(raft.map(([id, host]) => [host, id])).toEqual(keepers.map((k) => [k, services[k]!.environment!.KEEPER_SERVER_ID]));
      for (const k of keepers) expect(services[k]!.image).toMatch(/^clickhouse\/clickhouse-keeper:/);
    });

    it('gives every ClickHouse node its own shard/replica macros, matching remote_servers of the shared config', () => {
      const configs = nodes.map((n) => mounted(n, '/etc/clickhouse-server/config.d/cluster.xml'));
      expect(new Set(configs).size).toBe(1);
      const config = configs[0]!;
      expect(config).toContain('<shard from_env="CH_SHARD"/>');
      expect(config).toContain('<replica from_env="CH_REPLICA"/>');
      const shards = [...config.matchAll(/<shard>([\s\S]*?)<\/shard>/g)].map((m) => all(m[1]!, /<host>([\w-]+)<\/host>/g).map(([h]) => h));
      expect(shards).toEqual([['ch-s1r1', 'ch-s1r2'], ['ch-s2r1', 'ch-s2r2']]);
      shards.forEach((hosts, i) =>
        hosts.forEach((h) => expect([services[h!]!.environment!.CH_SHARD, services[h!]!.environment!.CH_REPLICA]).toEqual([String(i + 1), h])),
      );
      expect(all(config, /<node><host>([\w-]+)<\/host><port>9181<\/port><\/node>/g).map(([h]) => h)).toEqual(keepers);
      expect(config).toMatch(/<internal_replication>true<\/internal_replication>/);
      // The generated cluster schema's Keeper paths use exactly these macros.
      expect(clusterMigrations(readMigrations(), { cluster: 'shadow_ai' }).flatMap((m) => m.statements).join('\n')).toContain("'/clickhouse/tables/{shard}/{database}/events_local', '{replica}'");
    });

    it('runs two consumers in their own group on the cluster schema, each on a different shard', () => {
      const config = xml('packages/clickhouse/cluster/server.xml');
      const clusterName = /<remote_servers>\s*<(\w+)>/.exec(config)![1];
      const urls = ['consumer-1', 'consumer-2'].map((c) => {
        const env = services[c]!.environment!;
        const parsed = loadConfig(env);
        expect(parsed.CLICKHOUSE_CLUSTER).toBe(clusterName);
        expect(parsed.KAFKA_GROUP_ID).not.toBe(loadConfig(services['shadow-ai']!.environment!).KAFKA_GROUP_ID);
        expect(parsed.KAFKA_TOPICS).toEqual(loadConfig(services['shadow-ai']!.environment!).KAFKA_TOPICS);
        expect(env.CLICKHOUSE_DATABASE).toBe(services['ch-s1r1']!.environment!.CLICKHOUSE_DB);
        return new URL(parsed.CLICKHOUSE_URL!).hostname;
      });
      expect(urls).toEqual(['ch-s1r1', 'ch-s2r1']);
      // Exactly one of them delivers the forwarding outbox and writes scheduled reports.
      const flags = ['consumer-1', 'consumer-2'].map((c) => loadConfig(services[c]!.environment!)).map((c) => [c.FORWARD_ENABLED, c.REPORT_ENABLED]);
      expect(flags).toEqual([[true, true], [false, false]]);
      expect(Object.keys(services['consumer-2']!.depends_on!)).toContain('consumer-1');
    });
  });
});
