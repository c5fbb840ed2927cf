import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@shadow-ai/clickhouse';
import { toClickHouseTime, type Logger, type Metrics } from '@shadow-ai/core';
import type { Sanctions } from './sanctions.ts';

export { FINDING_TYPES, FINDING_DEFINITIONS, type FindingType } from './rules.ts';
import { appRisk, RULES, severityOf, type Derived, type FindingType, type RuleConfig } from './rules.ts';
import type { AgentRegistry } from './agents.ts';
import { Catalog as CatalogClass, type Catalog, type CatalogRef } from '@shadow-ai/catalog';
export const FINDING_STATUSES = ['open', 'acknowledged', 'resolved', 'suppressed'] as const;

export interface FindingRow {
  id: string;
  type: FindingType;
  user: string;
  app_id: string;
  sanction: string;
  severity: number;
  status: string;
  first_seen: string;
  last_seen: string;
  requests: number;
  bytes_out: number;
  bytes_in: number;
  updated_at: string;
  evidence: string;
  finding_key: string;
}

/** Stable across runs and processes: the same (type, user, app, key) is always the same finding. */
export function findingId(type: FindingType, user: string, appId: string, key = ''): string {
  const base = `${type}\u0000${user}\u0000${appId}`;
  return createHash('sha256').update(key === '' ? base : `${base}\u0000${key}`).digest('hex').slice(0, 24);
}


/**
 * Derives findings from the usage aggregates. Pairs (user, app) touched by stored events are
 * re-evaluated every interval; `evaluateAll` re-derives every pair (at start, so events stored just
 * before a crash still raise their findings). Re-evaluating unchanged data writes nothing.
 */
export class FindingsDetector {
  private touched = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      client: ClickHouseClient;
      sanctions: Sanctions;
      /** the catalog in force (app risk for severity, candidates the catalog learned since) */
      catalog?: CatalogRef;
      agents?: AgentRegistry | null;
      rules?: Partial<RuleConfig>;
      log: Logger;
      metrics?: Metrics;
      /** called with findings that did not exist before (suppression rules apply to them) */
      onNew?: (rows: FindingRow[]) => Promise<void>;
      /** called with new findings and those whose severity changed: what SIEMs are told about */
      onNotable?: (rows: FindingRow[]) => Promise<void>;
    },
  ) {}

  touch(user: string, appId: string): void {
    let users = this.touched.get(appId);
    if (!users) this.touched.set(appId, (users = new Set()));
    users.add(user);
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      void this.flush().catch((err: unknown) => this.deps.log.error({ err }, 'findings evaluation failed'));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** Evaluates what was touched since the last flush; serialised so two runs never interleave. */
  flush(): Promise<void> {
    const next = this.running.then(async () => {
      if (this.touched.size === 0) return;
      const batch = this.touched;
      this.touched = new Map();
      try {
        // Not filtered by sanction here: a sanction scoped to users makes the answer differ per user.
        const apps = [...batch.keys()];
        const users = [...new Set([...batch.values()].flatMap((s) => [...s]))];
        if (apps.length > 0) await this.evaluate({ apps, users });
      } catch (err) {
        // Put the work back: the next interval retries it.
        for (const [app, users] of batch) for (const u of users) this.touch(u, app);
        throw err;
      }
    });
    this.running = next.catch(() => undefined);
    return next;
  }

  evaluateAll(): Promise<number> {
    const next = this.running.then(() => this.evaluate(null));
    this.running = next.then(() => undefined, () => undefined);
    return next;
  }

  private async evaluate(filter: { apps: string[]; users: string[] } | null): Promise<number> {
    const { client, sanctions } = this.deps;
    const catalog: Catalog | null = this.deps.catalog?.current ?? null;
    const derived: Derived[] = [];
    const ctx = {
      client,
      sanctions,
      catalog: catalog ?? EMPTY_CATALOG,
      agents: this.deps.agents ?? null,
      config: { ...DEFAULT_RULE_CONFIG, ...this.deps.rules },
      filter,
    };
    // Without a catalog (tests of the sanction rule alone), only the usage rules that need none run.
    const rules = catalog ? RULES : RULES.slice(0, 1);
    for (const rule of rules) derived.push(...(await rule(ctx)));
    if (derived.length === 0) return 0;
    const ids = derived.map((d) => findingId(d.type, d.user, d.appId, d.key));
    const existing = new Map(
      (
        await queryRows<{ id: string; status: string; requests: number | string; last_seen: string; sanction: string; evidence: string; severity: number | string }>(
          client,
          'SELECT id, status, requests, last_seen, sanction, evidence, severity FROM findings FINAL WHERE id IN {ids:Array(String)}',
          { ids },
        )
      ).map((r) => [r.id, r]),
    );
    const now = toClickHouseTime(new Date().toISOString());
    const rows: FindingRow[] = [];
    const seen = new Set<string>();
    derived.forEach((d, i) => {
      const id = ids[i]!;
      if (seen.has(id)) return;
      seen.add(id);
      const sanction = d.appId ? sanctions.statusOf(d.appId, d.user || undefined) : 'unknown';
      const evidence = JSON.stringify(d.evidence);
      const prev = existing.get(id);
      if (prev && Number(prev.requests) === d.requests && prev.last_seen === d.lastSeen && prev.sanction === sanction && prev.evidence === evidence) return;
      rows.push({
        id,
        type: d.type,
        user: d.user,
        app_id: d.appId,
        sanction,
        severity: severityOf(d.type, catalog && d.appId ? appRisk(catalog, d.appId) : null, d.requests, d.bytesOut, sanction),
        // Triage lives in finding_triage; this column keeps the detector's initial state.
        status: prev?.status ?? 'open',
        first_seen: d.firstSeen,
        last_seen: d.lastSeen,
        requests: d.requests,
        bytes_out: d.bytesOut,
        bytes_in: d.bytesIn,
        updated_at: now,
        evidence,
        finding_key: d.key,
      });
    });
    if (rows.length > 0) {
      await client.insert({ table: 'findings', values: rows, format: 'JSONEachRow' });
      this.deps.metrics?.findingsWritten.inc(rows.length);
      const fresh = rows.filter((r) => !existing.has(r.id));
      if (fresh.length > 0 && this.deps.onNew) await this.deps.onNew(fresh);
      const notable = rows.filter((r) => !existing.has(r.id) || Number(existing.get(r.id)!.severity) !== r.severity);
      if (notable.length > 0 && this.deps.onNotable) await this.deps.onNotable(notable);
    }
    return rows.length;
  }
}

export const DEFAULT_RULE_CONFIG: RuleConfig = {
  largeUploadBytes: 10 * 1024 * 1024,
  uploadBaselineFactor: 5,
  spikeFactor: 3,
  spikeMinRequests: 50,
  agentUserPattern: /^(?:svc|sa|app|bot|agent)[-_.]|\$$/i,
};

const EMPTY_CATALOG = new CatalogClass([]);
