import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@shadow-ai/clickhouse';
import { fromClickHouseTime, toClickHouseTime } from '@shadow-ai/core';

export interface AuditEntry {
  id: string;
  ts: string;
  actor: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
  /** the stored timestamp, for the next page's cursor */
  rawTs: string;
}

/** Append-only record of every change: who, when, what, before and after. Nothing here updates or deletes. */
export class AuditLog {
  constructor(private readonly client: ClickHouseClient) {}

  async record(e: { actor: string; action: string; target: string; before: unknown; after: unknown }): Promise<void> {
    await this.client.insert({
      table: 'audit_log',
      format: 'JSONEachRow',
      values: [
        {
          ts: toClickHouseTime(new Date().toISOString()),
          id: randomUUID(),
          actor: e.actor,
          action: e.action,
          target: e.target,
          before: JSON.stringify(e.before ?? null),
          after: JSON.stringify(e.after ?? null),
        },
      ],
    });
  }

  async list(q: { limit: number; action?: string; target?: string; before?: { ts: string; id: string } }): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: q.limit };
    if (q.action) {
      where.push('action = {action:String}');
      params.action = q.action;
    }
    if (q.target) {
      where.push('target = {target:String}');
      params.target = q.target;
    }
    if (q.before) {
      where.push("(ts, id) < ({c_ts:DateTime64(3, 'UTC')}, {c_id:String})");
      Object.assign(params, { c_ts: q.before.ts, c_id: q.before.id });
    }
    const rows = await queryRows<{ ts: string; id: string; actor: string; action: string; target: string; before: string; after: string }>(
      this.client,
      `SELECT ts, id, actor, action, target, before, after FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY ts DESC, id DESC LIMIT {limit:UInt32}`,
      params,
    );
    return rows.map((r) => ({ ...r, ts: fromClickHouseTime(r.ts), before: JSON.parse(r.before) as unknown, after: JSON.parse(r.after) as unknown, rawTs: r.ts }));
  }
}
