import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@shadow-ai/clickhouse';
import { fromClickHouseTime, toClickHouseTime } from '@shadow-ai/core';
import { FINDING_STATUSES } from './findings.detector.ts';

export type FindingStatus = (typeof FINDING_STATUSES)[number];

/** The status workflow: open → acknowledged → resolved | suppressed, and back to open to reopen. */
export const TRANSITIONS: Record<FindingStatus, readonly FindingStatus[]> = {
  open: ['acknowledged', 'resolved', 'suppressed'],
  acknowledged: ['open', 'resolved', 'suppressed'],
  resolved: ['open'],
  suppressed: ['open'],
};

export class TriageError extends Error {
  constructor(
    readonly code: 'not_found' | 'invalid_transition' | 'reason_required',
    message: string,
  ) {
    super(message);
  }
}

export interface HistoryEntry {
  ts: string;
  actor: string;
  fromStatus: FindingStatus;
  toStatus: FindingStatus;
  assignee: string | null;
  reason: string;
  note: string;
}

/**
 * Analysts' changes to findings: status, assignee and notes, each appended to the finding's history.
 * Kept apart from the detector's rows so re-derived counts never undo a triage decision.
 */
export class Triage {
  constructor(private readonly client: ClickHouseClient) {}

  async current(id: string): Promise<{ status: FindingStatus; assignee: string | null } | null> {
    const rows = await queryRows<{ n: number | string; status: string; assignee: string | null }>(
      this.client,
      `SELECT (SELECT count() FROM findings WHERE id = {id:String}) AS n, t.status AS status, t.assignee AS assignee
       FROM (SELECT 1) AS one LEFT JOIN (SELECT id, status, assignee FROM finding_triage FINAL WHERE id = {id:String}) AS t ON 1 = 1`,
      { id },
    );
    const r = rows[0];
    if (!r || Number(r.n) === 0) return null;
    return { status: (r.status || 'open') as FindingStatus, assignee: r.assignee ?? null };
  }

  async change(
    id: string,
    change: { status?: FindingStatus | undefined; assignee?: string | null | undefined; note?: string | undefined; reason?: string | undefined },
    actor: string,
  ): Promise<{ before: { status: FindingStatus; assignee: string | null }; after: { status: FindingStatus; assignee: string | null } }> {
    const before = await this.current(id);
    if (!before) throw new TriageError('not_found', `no finding ${id}`);
    const status = change.status ?? before.status;
    if (status !== before.status && !TRANSITIONS[before.status].includes(status)) {
      throw new TriageError('invalid_transition', `a finding that is ${before.status} can become ${TRANSITIONS[before.status].join(' or ')}, not ${status}`);
    }
    if ((status === 'resolved' || status === 'suppressed') && status !== before.status && !change.reason) {
      throw new TriageError('reason_required', `${status} needs a reason`);
    }
    const assignee = change.assignee === undefined ? before.assignee : change.assignee;
    const now = toClickHouseTime(new Date().toISOString());
    if (status !== before.status || assignee !== before.assignee) {
      await this.client.insert({ table: 'finding_triage', format: 'JSONEachRow', values: [{ id, status, assignee, updated_at: now }] });
    }
    await this.client.insert({
      table: 'finding_history',
      format: 'JSONEachRow',
      values: [{ finding_id: id, ts: now, actor, from_status: before.status, to_status: status, assignee, reason: change.reason ?? '', note: change.note ?? '' }],
    });
    return { before, after: { status, assignee } };
  }

  async history(id: string): Promise<HistoryEntry[]> {
    const rows = await queryRows<{ ts: string; actor: string; from_status: FindingStatus; to_status: FindingStatus; assignee: string | null; reason: string; note: string }>(
      this.client,
      'SELECT ts, actor, from_status, to_status, assignee, reason, note FROM finding_history WHERE finding_id = {id:String} ORDER BY ts',
      { id },
    );
    return rows.map((r) => ({ ts: fromClickHouseTime(r.ts), actor: r.actor, fromStatus: r.from_status, toStatus: r.to_status, assignee: r.assignee, reason: r.reason, note: r.note }));
  }
}

export interface SuppressionRule {
  id: string;
  user: string | null;
  appId: string | null;
  type: string | null;
  reason: string;
  expiresAt: string | null;
  actor: string;
  createdAt: string;
}

/**
 * Suppression rules by user, app and/or finding type, with an optional expiry. Creating a rule
 * suppresses the open findings it matches (recorded in their history as `rule:<id>`); new findings that
 * match are suppressed as they appear; when a rule ends (expiry or removal) the findings it suppressed
 * reopen.
 */
export class Suppressions {
  private rules: SuppressionRule[] = [];

  constructor(private readonly deps: { client: ClickHouseClient; triage: Triage }) {}

  list(): SuppressionRule[] {
    return this.rules;
  }

  async load(): Promise<void> {
    const rows = await queryRows<{ id: string; user: string | null; app_id: string | null; type: string | null; reason: string; expires_at: string | null; actor: string; updated_at: string }>(
      this.deps.client,
      'SELECT id, user, app_id, type, reason, expires_at, actor, updated_at FROM suppression_rules FINAL WHERE deleted = 0 ORDER BY updated_at',
    );
    this.rules = rows.map((r) => ({
      id: r.id,
      user: r.user,
      appId: r.app_id,
      type: r.type,
      reason: r.reason,
      expiresAt: r.expires_at ? fromClickHouseTime(r.expires_at) : null,
      actor: r.actor,
      createdAt: fromClickHouseTime(r.updated_at),
    }));
  }

  /** The active rule that matches a finding, if any. */
  match(f: { user: string; app_id: string; type: string }, at = Date.now()): SuppressionRule | null {
    return (
      this.rules.find(
        (r) =>
          (!r.expiresAt || Date.parse(r.expiresAt) > at) &&
          (r.user === null || r.user === f.user) &&
          (r.appId === null || r.appId === f.app_id) &&
          (r.type === null || r.type === f.type),
      ) ?? null
    );
  }

  async create(input: { user?: string | undefined; appId?: string | undefined; type?: string | undefined; reason: string; expiresAt?: string | null | undefined }, actor: string): Promise<{ rule: SuppressionRule; suppressed: number }> {
    const rule: SuppressionRule = {
      id: randomUUID().replace(/-/g, '').slice(0, 16),
      user: input.user ?? null,
      appId: input.appId ?? null,
      type: input.type ?? null,
      reason: input.reason,
      expiresAt: input.expiresAt ?? null,
      actor,
      createdAt: new Date().toISOString(),
    };
    await this.write(rule, 0);
    await this.load();
    const targets = await this.findings("status IN ('open', 'acknowledged')", rule);
    for (const id of targets) await this.deps.triage.change(id, { status: 'suppressed', reason: `suppression rule ${rule.id}: ${rule.reason}` }, `rule:${rule.id}`);
    return { rule, suppressed: targets.length };
  }

  async remove(id: string, actor: string): Promise<number> {
    const rule = this.rules.find((r) => r.id === id);
    if (!rule) return -1;
    await this.write(rule, 1);
    await this.load();
    return this.reopen(rule, `suppression rule ${id} removed by ${actor}`);
  }

  /** Reopens what rules that have expired since `since` had suppressed. */
  async expire(since: number, until: number): Promise<number> {
    let n = 0;
    for (const r of this.rules) {
      if (r.expiresAt && Date.parse(r.expiresAt) > since && Date.parse(r.expiresAt) <= until) n += await this.reopen(r, `suppression rule ${r.id} expired`);
    }
    return n;
  }

  private async reopen(rule: SuppressionRule, reason: string): Promise<number> {
    const ids = await this.findings("status = 'suppressed'", rule, true);
    for (const id of ids) await this.deps.triage.change(id, { status: 'open', reason }, 'system');
    return ids.length;
  }

  /** Finding ids matching the rule in the given triage state (optionally only those this rule suppressed). */
  private async findings(statusClause: string, rule: SuppressionRule, byThisRule = false): Promise<string[]> {
    const where = [statusClause];
    const params: Record<string, unknown> = {};
    const add = (clause: string, name: string, value: string | null) => {
      if (value === null) return;
      where.push(clause);
      params[name] = value;
    };
    add('user = {user:String}', 'user', rule.user);
    add('app_id = {app:String}', 'app', rule.appId);
    add('type = {type:String}', 'type', rule.type);
    if (byThisRule) {
      where.push(`id IN (SELECT finding_id FROM finding_history WHERE actor = {actor:String})`);
      params.actor = `rule:${rule.id}`;
    }
    const rows = await queryRows<{ id: string }>(this.deps.client, `SELECT id FROM (${FINDINGS_VIEW}) WHERE ${where.join(' AND ')}`, params);
    return rows.map((r) => r.id);
  }

  private async write(rule: SuppressionRule, deleted: 0 | 1): Promise<void> {
    await this.deps.client.insert({
      table: 'suppression_rules',
      format: 'JSONEachRow',
      values: [
        {
          id: rule.id,
          user: rule.user,
          app_id: rule.appId,
          type: rule.type,
          reason: rule.reason,
          expires_at: rule.expiresAt ? toClickHouseTime(rule.expiresAt) : null,
          actor: rule.actor,
          deleted,
          updated_at: toClickHouseTime(new Date().toISOString()),
        },
      ],
    });
  }
}

/** Findings with their triage state: the detector's row joined with the newest triage row. */
export const FINDINGS_VIEW = `SELECT f.id AS id, f.type AS type, f.user AS user, f.app_id AS app_id, f.sanction AS sanction,
       f.severity AS severity, if(t.status = '', 'open', t.status) AS status, t.assignee AS assignee,
       f.first_seen AS first_seen, f.last_seen AS last_seen, f.requests AS requests, f.bytes_out AS bytes_out,
       f.bytes_in AS bytes_in, f.evidence AS evidence, f.finding_key AS finding_key, greatest(f.updated_at, ifNull(t.updated_at, f.updated_at)) AS updated_at
FROM findings AS f FINAL
LEFT JOIN (SELECT id, status, assignee, updated_at FROM finding_triage FINAL) AS t ON t.id = f.id`;
