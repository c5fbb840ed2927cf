import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@shadow-ai/clickhouse';
import { fromClickHouseTime, toClickHouseTime, type Logger } from '@shadow-ai/core';
import type { Role } from './roles.ts';

export interface ApiKeyRecord {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdBy: string;
}

interface Stored extends ApiKeyRecord {
  hash: Buffer;
}

/** `saw_<id>_<secret>`: the id finds the key, the secret proves it; only sha256(secret) is stored. */
const KEY_FORMAT = /^saw_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

const sha256 = (s: string) => createHash('sha256').update(s).digest();
const now = () => toClickHouseTime(new Date().toISOString());
const ch = (iso: string | null) => (iso === null ? null : toClickHouseTime(iso));

/**
 * API keys: created (the key is returned once), verified in memory (constant-time), revoked, expiring;
 * last use is recorded in memory and written back at most once a minute per key.
 */
export class ApiKeys {
  private keys = new Map<string, Stored>();
  private used = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: { client: ClickHouseClient; log: Logger }) {}

  async load(): Promise<void> {
    const rows = await queryRows<{
      id: string; name: string; role: Role; secret_hash: string; created_at: string; expires_at: string | null;
      revoked_at: string | null; last_used_at: string | null; created_by: string;
    }>(this.deps.client, 'SELECT * EXCEPT updated_at FROM api_keys FINAL ORDER BY created_at');
    const next = new Map<string, Stored>();
    for (const r of rows) {
      next.set(r.id, {
        id: r.id,
        name: r.name,
        role: r.role,
        hash: Buffer.from(r.secret_hash, 'hex'),
        createdAt: fromClickHouseTime(r.created_at),
        expiresAt: r.expires_at ? fromClickHouseTime(r.expires_at) : null,
        revokedAt: r.revoked_at ? fromClickHouseTime(r.revoked_at) : null,
        lastUsedAt: this.used.get(r.id) ?? (r.last_used_at ? fromClickHouseTime(r.last_used_at) : null),
        createdBy: r.created_by,
      });
    }
    this.keys = next;
  }

  list(): ApiKeyRecord[] {
    return [...this.keys.values()].map(({ hash: _hash, ...rest }) => rest);
  }

  get size(): number {
    return this.keys.size;
  }

  async create(input: { name: string; role: Role; expiresAt: string | null; actor: string }): Promise<{ key: string; record: ApiKeyRecord }> {
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const record: Stored = {
      id,
      name: input.name,
      role: input.role,
      hash: sha256(secret),
      createdAt: new Date().toISOString(),
      expiresAt: input.expiresAt,
      revokedAt: null,
      lastUsedAt: null,
      createdBy: input.actor,
    };
    await this.write(record);
    this.keys.set(id, record);
    const { hash: _hash, ...pub } = record;
    return { key: `saw_${id}_${secret}`, record: pub };
  }

  async revoke(id: string): Promise<ApiKeyRecord | null> {
    const k = this.keys.get(id);
    if (!k) return null;
    const revoked = { ...k, revokedAt: k.revokedAt ?? new Date().toISOString() };
    await this.write(revoked);
    this.keys.set(id, revoked);
    const { hash: _hash, ...pub } = revoked;
    return pub;
  }

  /** The key's id and role, or why it is refused. Never logs or returns the secret. */
  verify(key: string): { id: string; role: Role } | { refused: 'malformed' | 'unknown' | 'revoked' | 'expired' } {
    const m = KEY_FORMAT.exec(key);
    if (!m) return { refused: 'malformed' };
    const k = this.keys.get(m[1]!);
    // Compare against a dummy hash for unknown ids, so timing does not tell which ids exist.
    const expected = k?.hash ?? sha256('');
    const ok = timingSafeEqual(sha256(m[2]!), expected);
    if (!k || !ok) return { refused: 'unknown' };
    if (k.revokedAt) return { refused: 'revoked' };
    if (k.expiresAt && Date.parse(k.expiresAt) <= Date.now()) return { refused: 'expired' };
    const at = new Date().toISOString();
    k.lastUsedAt = at;
    this.used.set(k.id, at);
    return { id: k.id, role: k.role };
  }

  private lastReload = 0;

  /** Like verify, but an id this process has not seen yet (created by another process) triggers one reload. */
  async verifyFresh(key: string): Promise<ReturnType<ApiKeys['verify']>> {
    const first = this.verify(key);
    const id = KEY_FORMAT.exec(key)?.[1];
    if ('refused' in first && first.refused === 'unknown' && id && !this.keys.has(id) && Date.now() - this.lastReload > 2000) {
      this.lastReload = Date.now();
      await this.load();
      return this.verify(key);
    }
    return first;
  }

  /** Writes last-used times back and picks up keys created or revoked by other processes. */
  startSync(intervalMs: number): void {
    this.timer = setInterval(() => void this.sync().catch((err: unknown) => this.deps.log.warn({ err }, 'api key sync failed')), intervalMs);
    this.timer.unref();
  }

  async sync(): Promise<void> {
    const used = this.used;
    this.used = new Map();
    for (const [id, at] of used) {
      const k = this.keys.get(id);
      if (k) await this.write({ ...k, lastUsedAt: at });
    }
    await this.load();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sync().catch(() => undefined);
  }

  private async write(k: Stored): Promise<void> {
    await this.deps.client.insert({
      table: 'api_keys',
      format: 'JSONEachRow',
      values: [
        {
          id: k.id,
          name: k.name,
          role: k.role,
          secret_hash: k.hash.toString('hex'),
          created_at: ch(k.createdAt),
          expires_at: ch(k.expiresAt),
          revoked_at: ch(k.revokedAt),
          last_used_at: ch(k.lastUsedAt),
          created_by: k.createdBy,
          updated_at: now(),
        },
      ],
    });
  }
}
