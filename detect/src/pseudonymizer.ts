import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@shadow-ai/clickhouse';
import { toClickHouseTime } from '@shadow-ai/core';

/**
 * Pseudonymisation mode: identities (user names and the client addresses that stand in for them)
 * are stored and shown as keyed hashes (HMAC-SHA256 with the installation's secret). The name behind a
 * pseudonym is kept encrypted (AES-256-GCM, key derived from the same secret) so an admin can
 * re-identify one when there is cause; the API records every re-identification in the audit log.
 */
export class Pseudonymizer {
  private readonly macKey: Buffer;
  private readonly encKey: Buffer;
  private readonly known = new Set<string>();
  private pending = new Map<string, string>();

  constructor(
    secret: string,
    private readonly client: ClickHouseClient,
  ) {
    if (secret.length < 32) throw new Error('SHADOW_AI_PSEUDONYM_SECRET must be at least 32 characters');
    this.macKey = Buffer.from(hkdfSync('sha256', secret, 'shadow-ai', 'pseudonym-hmac', 32));
    this.encKey = Buffer.from(hkdfSync('sha256', secret, 'shadow-ai', 'pseudonym-aes-256-gcm', 32));
  }

  /** Same input, same pseudonym, in every process of the installation. */
  pseudonym(identity: string): string {
    const p = `p_${createHmac('sha256', this.macKey).update(identity).digest('hex').slice(0, 20)}`;
    if (!this.known.has(p)) {
      this.known.add(p);
      this.pending.set(p, this.encrypt(identity));
    }
    return p;
  }

  /** Stores the encrypted names of pseudonyms first seen since the last call. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const now = toClickHouseTime(new Date().toISOString());
    try {
      await this.client.insert({
        table: 'pseudonyms',
        format: 'JSONEachRow',
        values: [...batch].map(([pseudonym, ciphertext]) => ({ pseudonym, ciphertext, created_at: now })),
      });
    } catch (err) {
      for (const [k, v] of batch) this.pending.set(k, v);
      throw err;
    }
  }

  async reidentify(pseudonym: string): Promise<string | null> {
    const rows = await queryRows<{ ciphertext: string }>(
      this.client,
      'SELECT ciphertext FROM pseudonyms FINAL WHERE pseudonym = {p:String} LIMIT 1',
      { p: pseudonym },
    );
    return rows[0] ? this.decrypt(rows[0].ciphertext) : null;
  }

  private encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encKey, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  private decrypt(b64: string): string {
    const buf = Buffer.from(b64, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.encKey, buf.subarray(0, 12));
    decipher.setAuthTag(buf.subarray(12, 28));
    return Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]).toString('utf8');
  }
}
