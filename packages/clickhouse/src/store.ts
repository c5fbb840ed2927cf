import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { type Config, type Logger, redactUrl } from '@shadow-ai/core';

export type StoreKind = 'embedded' | 'server';

export interface Store {
  client: ClickHouseClient;
  kind: StoreKind;
  /** Where the data lives: the embedded data directory, or the server URL without credentials. */
  location: string;
  /** The ClickHouse cluster the schema spans (CLICKHOUSE_CLUSTER), if any. */
  cluster?: string;
  close(): Promise<void>;
}

export type StoreConfig = Pick<
  Config,
  'CLICKHOUSE_URL' | 'CLICKHOUSE_CLUSTER' | 'CLICKHOUSE_USER' | 'CLICKHOUSE_PASSWORD' | 'CLICKHOUSE_DATABASE' | 'CLICKHOUSE_MAX_MEMORY_USAGE' | 'SHADOW_AI_DATA_DIR'
>;

/**
 * The one way the product reaches ClickHouse: `@clickhouse/client`, over HTTP to a server when
 * CLICKHOUSE_URL is set, otherwise on the embedded engine (chdb) with data in SHADOW_AI_DATA_DIR.
 */
export async function createStore(config: StoreConfig, log?: Logger): Promise<Store> {
  const clickhouse_settings: ClickHouseSettings = {
    // TRICKY: a server quotes 64-bit integers in JSON unless told otherwise; the embedded engine never does.
    // Readers still coerce with Number(), so either way works, but one shape is easier to reason about.
    output_format_json_quote_64bit_integers: 0,
    max_memory_usage: String(config.CLICKHOUSE_MAX_MEMORY_USAGE),
  };
  if (config.CLICKHOUSE_URL) {
    if (config.CLICKHOUSE_CLUSTER) {
      // An insert is acknowledged only once every shard has its rows: the offset commit that follows
      // it (and crash recovery's stored positions) must not run ahead of data still queued locally.
      clickhouse_settings.distributed_foreground_insert = 1;
      // IN/JOIN subqueries over Distributed tables inside a distributed query run once, globally,
      // instead of being refused (the default) or silently evaluated per shard.
      clickhouse_settings.distributed_product_mode = 'global';
    }
    const client = createClient({
      url: config.CLICKHOUSE_URL,
      username: config.CLICKHOUSE_USER,
      password: config.CLICKHOUSE_PASSWORD,
      database: config.CLICKHOUSE_DATABASE,
      clickhouse_settings,
      // TRICKY: stay below the server's keep_alive_timeout (3 s by default) or a reused socket is reset.
      keep_alive: { enabled: true, idle_socket_ttl: 2500 },
      request_timeout: 60_000,
    });
    const location = redactUrl(config.CLICKHOUSE_URL);
    const cluster = config.CLICKHOUSE_CLUSTER;
    log?.info({ store: 'server', location, cluster }, 'store opened');
    return { client, kind: 'server', location, ...(cluster ? { cluster } : {}), close: () => client.close() };
  }
  const dir = resolve(config.SHADOW_AI_DATA_DIR, 'clickhouse');
  mkdirSync(dir, { recursive: true });
  // Loaded lazily: a deployment against a server never loads the native engine.
  const { createChdbConnection } = await import('chdb/connection');
  // TRICKY: chdb types its connection against @clickhouse/client-common, whose settings type is a
  // structurally equal copy of the one @clickhouse/client bundles; the runtime contract is the same.
  const connection = createChdbConnection({ path: dir }) as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'];
  const client = createClient({ connection, clickhouse_settings });
  log?.info({ store: 'embedded', location: dir }, 'store opened');
  return { client, kind: 'embedded', location: dir, close: () => client.close() };
}

/** Runs a SELECT with bound parameters and returns its rows. */
export async function queryRows<T>(
  client: ClickHouseClient,
  query: string,
  query_params: Record<string, unknown> = {},
): Promise<T[]> {
  const rs = await client.query({ query, query_params, format: 'JSONEachRow' });
  return rs.json<T>();
}
