import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@shadow-ai/clickhouse';
import { fromClickHouseTime, toClickHouseTime } from '@shadow-ai/core';
import type { LiveSanctions, SanctionOverride, SanctionScope, SanctionStatus } from './sanctions.ts';

const ch = (iso: string | null) => (iso === null ? null : toClickHouseTime(iso));

/**
 * Persists sanction decisions and group membership, and keeps a LiveSanctions in step with them.
 * A new decision remembers the one in force before it, which returns when the new one expires.
 */
export class SanctionStore {
  private groups = new Map<string, Set<string>>();

  constructor(private readonly deps: { client: ClickHouseClient; sanctions: LiveSanctions }) {
    deps.sanctions.setGroupResolver((user) => {
      const out: string[] = [];
      for (const [g, members] of this.groups) if (members.has(user)) out.push(g);
      return out;
    });
  }

  async load(): Promise<void> {
    const rows = await queryRows<{
      app_id: string; status: SanctionStatus; reason: string; scope: string; expires_at: string | null; previous: string; actor: string; updated_at: string;
    }>(this.deps.client, 'SELECT app_id, status, reason, scope, expires_at, previous, actor, updated_at FROM sanctions FINAL');
    this.deps.sanctions.setOverrides(
      rows.map((r) => ({
        appId: r.app_id,
        status: r.status,
        reason: r.reason,
        scope: JSON.parse(r.scope) as SanctionScope,
        expiresAt: r.expires_at ? fromClickHouseTime(r.expires_at) : null,
        actor: r.actor,
        updatedAt: fromClickHouseTime(r.updated_at),
        previous: JSON.parse(r.previous) as SanctionOverride['previous'],
      })),
    );
    const members = await queryRows<{ group_name: string; user: string }>(
      this.deps.client,
      'SELECT group_name, user FROM group_members FINAL WHERE deleted = 0',
    );
    const groups = new Map<string, Set<string>>();
    for (const m of members) {
      const set = groups.get(m.group_name) ?? new Set<string>();
      set.add(m.user);
      groups.set(m.group_name, set);
    }
    this.groups = groups;
  }

  /**
   * The sanction statuses as they stood at `at`, for reports on past months: every decision is in the audit
   * log (`sanction.set`, the whole override with the one before it), so the newest one per app up to `at`
   * is what was in force then. The sanctions file is not versioned: it counts as it is now.
   */
  async asOf(at: Date): Promise<LiveSanctions> {
    const rows = await queryRows<{ after: string }>(
      this.deps.client,
      `SELECT argMax(after, (ts, id)) AS after FROM audit_log
       WHERE action = 'sanction.set' AND ts <= {at:DateTime64(3, 'UTC')} GROUP BY target`,
      { at: toClickHouseTime(at.toISOString()) },
    );
    return this.deps.sanctions.asOf(rows.map((r) => JSON.parse(r.after) as SanctionOverride), at);
  }

  /** Records a decision; returns the override before and after, for the audit log. */
  async set(
    appId: string,
    input: { status: SanctionStatus; reason: string; scope: SanctionScope; expiresAt: string | null },
    actor: string,
  ): Promise<{ before: SanctionOverride | null; after: SanctionOverride }> {
    const current = this.deps.sanctions.effective(appId);
    const before = this.deps.sanctions.override(appId) ?? null;
    const after: SanctionOverride = {
      appId,
      ...input,
      actor,
      updatedAt: new Date().toISOString(),
      previous: current ? { ...current } : null,
    };
    await this.deps.client.insert({
      table: 'sanctions',
      format: 'JSONEachRow',
      values: [
        {
          app_id: appId,
          status: after.status,
          reason: after.reason,
          scope: JSON.stringify(after.scope),
          expires_at: ch(after.expiresAt),
          previous: JSON.stringify(after.previous),
          actor,
          updated_at: ch(after.updatedAt),
        },
      ],
    });
    await this.load();
    return { before, after };
  }

  members(group: string): string[] {
    return [...(this.groups.get(group) ?? [])].sort();
  }

  /** Replaces a group's members; returns the members before. */
  async setMembers(group: string, users: string[]): Promise<string[]> {
    const before = this.members(group);
    const now = toClickHouseTime(new Date().toISOString());
    const next = new Set(users);
    const rows = [
      ...before.filter((u) => !next.has(u)).map((user) => ({ group_name: group, user, deleted: 1, updated_at: now })),
      ...[...next].map((user) => ({ group_name: group, user, deleted: 0, updated_at: now })),
    ];
    if (rows.length > 0) await this.deps.client.insert({ table: 'group_members', format: 'JSONEachRow', values: rows });
    await this.load();
    return before;
  }
}
