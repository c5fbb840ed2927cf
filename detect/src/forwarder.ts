import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@shadow-ai/clickhouse';
import { toClickHouseTime, type Logger } from '@shadow-ai/core';
import type { FindingRow } from './findings.detector.ts';
import { destinationFormat, destinationSchema, type DestinationConfig } from './forward/destinations.ts';
import { renderFinding } from './forward/formats.ts';
import { idempotencyId, Outbox, type DestinationStatus } from './forward/outbox.ts';
import { createTransport } from './forward/transports.ts';

/** Credentials the API never shows back. */
const SECRET_KEYS = ['token', 'secret', 'key', 'headers'] as const;

export function redactDestination(d: DestinationConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...d };
  for (const k of SECRET_KEYS) if (k in out && out[k] !== undefined) out[k] = '[redacted]';
  if (d.type === 'kafka' && d.sasl) out.sasl = { ...d.sasl, password: '[redacted]' };
  return out;
}

/**
 * Forwarding of findings to the configured destinations through the durable outbox. Destinations are
 * stored in ClickHouse and managed over the API; a change restarts the outbox workers with the new set.
 * At start, findings that never reached a destination's outbox (a crash between storing a finding and
 * enqueueing it, or a destination added later) are enqueued, so none is lost.
 */
export class Forwarder {
  private outbox: Outbox | null = null;
  private destinations: DestinationConfig[] = [];

  /** `deliver: false`: enqueue only; another process on the same store runs the delivery workers. */
  constructor(private readonly deps: { client: ClickHouseClient; log: Logger; deliver?: boolean }) {}

  list(): DestinationConfig[] {
    return this.destinations;
  }

  async start(): Promise<void> {
    const rows = await queryRows<{ config: string }>(this.deps.client, 'SELECT config FROM destinations FINAL WHERE deleted = 0 ORDER BY id');
    this.destinations = rows.flatMap((r) => {
      const parsed = destinationSchema.safeParse(JSON.parse(r.config));
      if (!parsed.success) this.deps.log.error({ issues: parsed.error.issues.length }, 'stored destination is invalid; left out');
      return parsed.success ? [parsed.data] : [];
    });
    await this.restart();
  }

  async stop(): Promise<void> {
    await this.outbox?.stop();
    this.outbox = null;
  }

  /** Findings worth telling the SIEM about (new ones, or a changed severity). */
  async enqueue(findings: FindingRow[]): Promise<void> {
    if (this.outbox && findings.length > 0) await this.outbox.enqueue(findings);
  }

  async upsert(config: DestinationConfig, actor: string): Promise<DestinationConfig | null> {
    const before = this.destinations.find((d) => d.id === config.id) ?? null;
    await this.write(config.id, JSON.stringify(config), 0, actor);
    this.destinations = [...this.destinations.filter((d) => d.id !== config.id), config].sort((a, b) => a.id.localeCompare(b.id));
    await this.restart();
    return before;
  }

  async remove(id: string, actor: string): Promise<DestinationConfig | null> {
    const before = this.destinations.find((d) => d.id === id) ?? null;
    if (!before) return null;
    await this.write(id, JSON.stringify(before), 1, actor);
    this.destinations = this.destinations.filter((d) => d.id !== id);
    await this.restart();
    return before;
  }

  async status(): Promise<DestinationStatus[]> {
    return this.outbox ? this.outbox.refreshStatus() : [];
  }

  /** Sends one synthetic finding straight to a destination (not through the outbox) and reports the outcome. */
  async testSend(id: string): Promise<{ ok: boolean; error: string | null }> {
    const dest = this.destinations.find((d) => d.id === id);
    if (!dest) throw new Error(`no destination ${id}`);
    const now = toClickHouseTime(new Date().toISOString());
    const finding: FindingRow = {
      id: '000000000000000000000000',
      type: 'unsanctioned-app',
      user: 'shadow-ai-test',
      app_id: 'test',
      sanction: 'unsanctioned',
      severity: 10,
      status: 'open',
      first_seen: now,
      last_seen: now,
      requests: 1,
      bytes_out: 0,
      bytes_in: 0,
      updated_at: now,
      evidence: JSON.stringify({ test: true }),
      finding_key: 'test-send',
    };
    const format = destinationFormat(dest);
    const transport = createTransport(dest, this.deps.log);
    const key = idempotencyId(dest.id, finding.id, now);
    try {
      await transport.send([
        { idempotencyId: key, findingId: finding.id, time: Date.now(), severity: 10, format, payload: renderFinding(finding, format, { idempotencyId: key }) },
      ]);
      return { ok: true, error: null };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    } finally {
      await transport.close();
    }
  }

  private async restart(): Promise<void> {
    await this.outbox?.stop();
    this.outbox = null;
    if (this.destinations.length === 0) return;
    this.outbox = new Outbox({ client: this.deps.client, destinations: this.destinations, log: this.deps.log });
    // Catch up: the newest version of every finding a destination has never been sent.
    for (const dest of this.destinations) {
      const missing = await queryRows<FindingRow>(
        this.deps.client,
        `SELECT * FROM findings FINAL WHERE id NOT IN (SELECT finding_id FROM outbox WHERE destination = {dest:String})`,
        { dest: dest.id },
      );
      if (missing.length > 0) {
        const one = new Outbox({ client: this.deps.client, destinations: [dest], log: this.deps.log });
        await one.enqueue(missing);
      }
    }
    if (this.deps.deliver !== false) this.outbox.start();
  }

  private async write(id: string, config: string, deleted: 0 | 1, actor: string): Promise<void> {
    await this.deps.client.insert({
      table: 'destinations',
      format: 'JSONEachRow',
      values: [{ id, config, deleted, actor, updated_at: toClickHouseTime(new Date().toISOString()) }],
    });
  }
}
