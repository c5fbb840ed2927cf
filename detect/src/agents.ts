import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@shadow-ai/clickhouse';
import { fromClickHouseTime, isoInstant, toClickHouseTime } from '@shadow-ai/core';
import { z } from 'zod';

export const AGENT_KINDS = ['service-account', 'workload', 'host'] as const;

export const agentInputSchema = z.strictObject({
  /** the principal its traffic carries: a service account name, or a host's address */
  identity: z.string().min(1).max(256),
  kind: z.enum(AGENT_KINDS),
  /** the human accountable for it; empty means nobody is */
  sponsor: z.string().max(256).default(''),
  expiresAt: isoInstant.nullable().default(null),
  /** app ids it may use; empty: none */
  allowedApps: z.array(z.string().min(1).max(64)).max(500).default([]),
  description: z.string().max(1000).default(''),
});
export type AgentInput = z.input<typeof agentInputSchema>;

export interface Agent {
  id: string;
  identity: string;
  kind: (typeof AGENT_KINDS)[number];
  sponsor: string;
  expiresAt: string | null;
  allowedApps: string[];
  description: string;
  actor: string;
  updatedAt: string;
}

/** The registry of non-human identities that may call AI services, with their sponsor and expiry. */
export class AgentRegistry {
  private byIdentity = new Map<string, Agent>();
  private byId = new Map<string, Agent>();

  constructor(private readonly client: ClickHouseClient) {}

  list(): Agent[] {
    return [...this.byId.values()].sort((a, b) => a.identity.localeCompare(b.identity));
  }

  get(id: string): Agent | undefined {
    return this.byId.get(id);
  }

  forIdentity(identity: string): Agent | undefined {
    return this.byIdentity.get(identity);
  }

  async load(): Promise<void> {
    const rows = await queryRows<{ id: string; identity: string; kind: Agent['kind']; sponsor: string; expires_at: string | null; allowed_apps: string[]; description: string; actor: string; updated_at: string }>(
      this.client,
      'SELECT id, identity, kind, sponsor, expires_at, allowed_apps, description, actor, updated_at FROM agents FINAL WHERE deleted = 0',
    );
    this.byId = new Map();
    this.byIdentity = new Map();
    for (const r of rows) {
      const a: Agent = {
        id: r.id,
        identity: r.identity,
        kind: r.kind,
        sponsor: r.sponsor,
        expiresAt: r.expires_at ? fromClickHouseTime(r.expires_at) : null,
        allowedApps: r.allowed_apps,
        description: r.description,
        actor: r.actor,
        updatedAt: fromClickHouseTime(r.updated_at),
      };
      this.byId.set(a.id, a);
      this.byIdentity.set(a.identity, a);
    }
  }

  async upsert(input: AgentInput, actor: string, id?: string): Promise<{ before: Agent | null; after: Agent }> {
    const parsed = agentInputSchema.parse(input);
    const existing = id ? this.byId.get(id) : this.byIdentity.get(parsed.identity);
    const clash = this.byIdentity.get(parsed.identity);
    if (clash && clash.id !== (existing?.id ?? id)) throw new Error(`identity ${parsed.identity} is already registered as agent ${clash.id}`);
    const after: Agent = { id: existing?.id ?? id ?? randomUUID().replace(/-/g, '').slice(0, 16), ...parsed, actor, updatedAt: new Date().toISOString() };
    await this.write(after, 0);
    await this.load();
    return { before: existing ?? null, after };
  }

  async remove(id: string, actor: string): Promise<Agent | null> {
    const a = this.byId.get(id);
    if (!a) return null;
    await this.write({ ...a, actor }, 1);
    await this.load();
    return a;
  }

  private async write(a: Agent, deleted: 0 | 1): Promise<void> {
    await this.client.insert({
      table: 'agents',
      format: 'JSONEachRow',
      values: [
        {
          id: a.id,
          identity: a.identity,
          kind: a.kind,
          sponsor: a.sponsor,
          expires_at: a.expiresAt ? toClickHouseTime(a.expiresAt) : null,
          allowed_apps: a.allowedApps,
          description: a.description,
          deleted,
          actor: a.actor,
          updated_at: toClickHouseTime(new Date().toISOString()),
        },
      ],
    });
  }
}
