import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@shadow-ai/clickhouse';
import { toClickHouseTime, type Logger, type Metrics } from '@shadow-ai/core';
import type { Sanctions } from './sanctions.ts';

export const FINDING_TYPES = ['unsanctioned-app'] as const;
export type FindingType = (typeof FINDING_TYPES)[number];
export const FINDING_STATUSES = ['open', 'acknowledged', 'resolved', 'suppressed'] as const;

interface UsageTotals {
  user: string;
  app_id: string;
  first_seen: string;
  last_seen: string;
  requests: number | string;
  blocked: number | string;
  bytes_out: number | string;
  bytes_in: number | string;
}

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
}

/** Stable across runs and processes: the same (type, user, app) is always the same finding. */
export function findingId(type: FindingType, user: string, appId: string): string {
  return createHash('sha256').update(`${type}\u0000${user}\u0000${appId}`).digest('hex').slice(0, 24);
}

/**
 * Severity 0–100 of "unsanctioned AI app in use": a base for the sanction status (unsanctioned 40,
 * blocked 60: the user got past or tried to get past a decision), plus 10 per order of magnitude of
 * requests and 10 per order of magnitude of MiB uploaded. 1 request → 40; 1,000 requests and 10 MiB
 * uploaded → 80.
 */
export function unsanctionedSeverity(sanction: string, requests: number, bytesOut: number): number {
  const base = sanction === 'blocked' ? 60 : 40;
  const volume = 10 * Math.floor(Math.log10(Math.max(1, requests)));
  const upload = 10 * Math.floor(Math.log10(1 + bytesOut / 1048576));
  return Math.min(100, base + volume + upload);
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
      log: Logger;
      metrics?: Metrics;
      /** called with findings that did not exist before (suppression rules apply to them) */
      onNew?: (rows: FindingRow[]) => Promise<void>;
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
    const where = filter ? 'WHERE app_id IN {apps:Array(String)} AND user IN {users:Array(String)}' : '';
    const totals = await queryRows<UsageTotals>(
      client,
      `SELECT user, app_id, min(first_seen) AS first_seen, max(last_seen) AS last_seen, sum(requests) AS requests,
              sum(blocked) AS blocked, sum(bytes_out) AS bytes_out, sum(bytes_in) AS bytes_in
       FROM usage_daily ${where}
       GROUP BY user, app_id`,
      filter ?? {},
    );
    const candidates = totals.filter((t) => sanctions.isUnsanctioned(t.app_id, t.user));
    if (candidates.length === 0) return 0;
    const ids = candidates.map((t) => findingId('unsanctioned-app', t.user, t.app_id));
    const existing = new Map(
      (
        await queryRows<{ id: string; status: string; requests: number | string; last_seen: string; sanction: string }>(
          client,
          'SELECT id, status, requests, last_seen, sanction FROM findings FINAL WHERE id IN {ids:Array(String)}',
          { ids },
        )
      ).map((r) => [r.id, r]),
    );
    const now = toClickHouseTime(new Date().toISOString());
    const rows: FindingRow[] = [];
    candidates.forEach((t, i) => {
      const id = ids[i]!;
      const requests = Number(t.requests);
      const bytesOut = Number(t.bytes_out);
      const sanction = sanctions.statusOf(t.app_id, t.user);
      const prev = existing.get(id);
      if (prev && Number(prev.requests) === requests && prev.last_seen === t.last_seen && prev.sanction === sanction) return;
      rows.push({
        id,
        type: 'unsanctioned-app',
        user: t.user,
        app_id: t.app_id,
        sanction,
        severity: unsanctionedSeverity(sanction, requests, bytesOut),
        // A finding an analyst already triaged keeps its status; new activity shows in last_seen.
        status: prev?.status ?? 'open',
        first_seen: t.first_seen,
        last_seen: t.last_seen,
        requests,
        bytes_out: bytesOut,
        bytes_in: Number(t.bytes_in),
        updated_at: now,
      });
    });
    if (rows.length > 0) {
      await client.insert({ table: 'findings', values: rows, format: 'JSONEachRow' });
      this.deps.metrics?.findingsWritten.inc(rows.length);
      const fresh = rows.filter((r) => !existing.has(r.id));
      if (fresh.length > 0 && this.deps.onNew) await this.deps.onNew(fresh);
    }
    return rows.length;
  }
}
