import type { ClickHouseClient } from '@clickhouse/client';
import type { CatalogRef } from '@shadow-ai/catalog';
import type { Config, Metrics } from '@shadow-ai/core';
import type { AgentRegistry, CustomApps, ReportService, Forwarder, FindingsDetector, IdentityMap, LiveSanctions, Pseudonymizer, SanctionStore, StoreSink, Suppressions, Triage } from '@shadow-ai/detect';
import type { AuditLog } from './audit.ts';
import type { AuthDeps } from './auth/auth.plugin.ts';

export interface Readiness {
  ok: boolean;
  checks: Record<string, 'ok' | string>;
}

/** What the HTTP API needs; built once by `shadow-ai start` (or a test) and passed in. */
export interface ApiDeps {
  client: ClickHouseClient;
  /** the catalog in force (shipped + custom apps); read `.current` per request */
  catalog: CatalogRef;
  customApps: CustomApps;
  identity: IdentityMap;
  sanctions: LiveSanctions;
  sanctionStore: SanctionStore;
  detector: FindingsDetector;
  audit: AuditLog;
  triage: Triage;
  agents: AgentRegistry;
  forwarder: Forwarder;
  suppressions: Suppressions;
  auth: AuthDeps;
  pseudonymizer: Pseudonymizer | null;
  sink: StoreSink;
  metrics: Metrics;
  /** monthly reports: build, render, store */
  reports: ReportService;
  config: Pick<Config, 'INGEST_MAX_LINE_BYTES' | 'INGEST_MAX_BODY_BYTES' | 'INGEST_TIMEZONE' | 'INGEST_JSON_FIELD_MAP' | 'INGEST_SQUID_LOGFORMAT'>;
  readiness: () => Promise<Readiness>;
}
