/**
 * Durable forwarding outbox. `enqueue` stores each finding version per destination in the `outbox`
 * table (migration 0011) before anything is sent; one worker per destination then delivers the
 * pending rows in order, records the outcome in the same table, and retries failures with capped
 * exponential backoff. Nothing is lost across restarts or receiver outages: a row leaves the pending
 * set only after its transport confirmed the send AND the delivery was recorded. The price is
 * at-least-once: a crash between those two steps re-sends the batch, which is why every message
 * carries its idempotency id.
 *
 * Order: rows go out by (finding updated_at, finding id); a failing head-of-line row is retried, not
 * skipped, so a receiver never sees an older version of a finding after a newer one.
 */
import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@shadow-ai/clickhouse';
import { createLogger, toClickHouseTime, type Logger } from '@shadow-ai/core';
import type { FindingRow } from '../findings.detector.ts';
import { destinationFormat, type DestinationConfig, type DestinationType } from './destinations.ts';
import { findingTimeMs, renderFinding } from './formats.ts';
import { createTransport, type OutboundMessage, type Transport } from './transports.ts';

/** `version` of a delivered row: above any count of failed attempts (see 0011_outbox.sql). */
const DELIVERED_VERSION = 2 ** 40;
const ID_CHUNK = 1_000;

/**
 * sha256 hex of (destination id, finding id, finding updated_at as ISO-8601 ms). The same finding
 * version bound for the same destination always has the same id, in every process and after restarts.
 */
export function idempotencyId(destinationId: string, findingId: string, updatedAt: string): string {
  const ms = findingTimeMs(updatedAt);
  const version = Number.isFinite(ms) ? new Date(ms).toISOString() : updatedAt;
  return createHash('sha256').update(`${destinationId}\u0000${findingId}\u0000${version}`).digest('hex');
}

export interface OutboxOptions {
  client: ClickHouseClient;
  destinations: DestinationConfig[];
  log?: Logger;
  /** Rows per send. Default 100. */
  batchSize?: number;
  /** How often an idle worker looks for rows enqueued by other processes. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Retry delay after the n-th consecutive failure: min(maxMs, initialMs · 2^(n-1)), jittered to 50–100 %. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** How a destination's transport is built (tests wrap the real one). Default `createTransport`. */
  transportFactory?: (dest: DestinationConfig, log: Logger) => Transport;
  /** Device version written into CEF/LEEF headers and the JSON document. */
  deviceVersion?: string;
}

export interface DestinationStatus {
  id: string;
  type: DestinationType;
  /** Rows not yet delivered. */
  pending: number;
  delivered: number;
  /** Failed delivery attempts, counted per row (a failed batch of 10 counts 10). */
  failedAttempts: number;
  lastError: string | null;
  /** ISO-8601. */
  lastErrorAt: string | null;
  lastDeliveredAt: string | null;
  /** Age of the oldest pending row; 0 when nothing is pending. */
  lagSeconds: number;
  /** Whether this instance runs a worker for the destination. */
  running: boolean;
}

/** A row of `outbox` as read back (DateTime64 values in ClickHouse's `YYYY-MM-DD hh:mm:ss.sss` form). */
interface OutboxRow {
  destination: string;
  idempotency_id: string;
  finding_id: string;
  finding_updated_at: string;
  severity: number;
  finding: string;
  enqueued_at: string;
  attempts: number;
  last_attempt_at: string | null;
  last_error: string;
  last_error_at: string | null;
  delivered_at: string | null;
  version: number;
}

interface StatusRow {
  destination: string;
  pending: number | string;
  delivered: number | string;
  failed_attempts: number | string;
  last_delivered_at: string | null;
  oldest_pending: string | null;
  error_text: string;
  error_at: string | null;
}

interface StatusState {
  pending: number;
  delivered: number;
  failedAttempts: number;
  lastError: string | null;
  lastErrorAtMs: number | null;
  lastDeliveredAtMs: number | null;
  oldestPendingMs: number | null;
}

const chNow = (): string => toClickHouseTime(new Date().toISOString());
const chMs = (value: string | null): number | null => {
  if (value === null) return null;
  const ms = findingTimeMs(value);
  return Number.isFinite(ms) ? ms : null;
};
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  // Stored and shown in status: bounded, single line.
  return text.replace(/\s+/g, ' ').slice(0, 1_000);
}

export class Outbox {
  private readonly client: ClickHouseClient;
  private readonly log: Logger;
  private readonly destinations: DestinationConfig[];
  private readonly workers = new Map<string, DestinationWorker>();
  private readonly states = new Map<string, StatusState>();

  constructor(private readonly opts: OutboxOptions) {
    this.client = opts.client;
    this.log = opts.log ?? createLogger({ level: 'silent' });
    const seen = new Set<string>();
    for (const d of opts.destinations) {
      if (seen.has(d.id)) throw new Error(`duplicate destination id ${d.id}`);
      seen.add(d.id);
    }
    this.destinations = [...opts.destinations];
    for (const d of this.destinations) this.states.set(d.id, emptyState());
  }

  /**
   * Stores the given finding versions for every destination whose minSeverity they reach; returns how
   * many rows were new. Versions already in the outbox are skipped (and would lose against any
   * recorded progress anyway, see the migration), so enqueueing twice is harmless.
   */
  async enqueue(findings: FindingRow[]): Promise<number> {
    const enqueuedAt = chNow();
    const candidates = new Map<string, OutboxRow>();
    for (const dest of this.destinations) {
      for (const f of findings) {
        if (dest.minSeverity !== undefined && Number(f.severity) < dest.minSeverity) continue;
        const id = idempotencyId(dest.id, f.id, f.updated_at);
        const updatedMs = findingTimeMs(f.updated_at);
        if (!Number.isFinite(updatedMs)) throw new Error(`finding ${f.id} has an unreadable updated_at: ${f.updated_at}`);
        candidates.set(id, {
          destination: dest.id,
          idempotency_id: id,
          finding_id: f.id,
          finding_updated_at: toClickHouseTime(new Date(updatedMs).toISOString()),
          severity: Math.min(255, Math.max(0, Math.round(Number(f.severity) || 0))),
          finding: JSON.stringify(f),
          enqueued_at: enqueuedAt,
          attempts: 0,
          last_attempt_at: null,
          last_error: '',
          last_error_at: null,
          delivered_at: null,
          version: 0,
        });
      }
    }
    if (candidates.size === 0) return 0;

    const ids = [...candidates.keys()];
    const existing = new Set<string>();
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      const rows = await queryRows<{ idempotency_id: string }>(
        this.client,
        'SELECT DISTINCT idempotency_id FROM outbox WHERE destination IN {dests:Array(String)} AND idempotency_id IN {ids:Array(String)}',
        { dests: this.destinations.map((d) => d.id), ids: ids.slice(i, i + ID_CHUNK) },
      );
      for (const r of rows) existing.add(r.idempotency_id);
    }
    const rows = [...candidates.values()].filter((r) => !existing.has(r.idempotency_id));
    if (rows.length === 0) return 0;
    await this.client.insert({ table: 'outbox', values: rows, format: 'JSONEachRow' });

    const enqueuedMs = chMs(enqueuedAt);
    for (const r of rows) {
      const state = this.states.get(r.destination);
      if (!state) continue;
      state.pending++;
      state.oldestPendingMs ??= enqueuedMs;
    }
    for (const w of this.workers.values()) w.wake();
    return rows.length;
  }

  /** Starts one worker per destination (idempotent). */
  start(): void {
    for (const dest of this.destinations) {
      if (this.workers.has(dest.id)) continue;
      const transport = (this.opts.transportFactory ?? createTransport)(dest, this.log);
      const worker = new DestinationWorker(this, dest, transport, {
        batchSize: this.opts.batchSize ?? 100,
        pollIntervalMs: this.opts.pollIntervalMs ?? 1_000,
        initialBackoffMs: this.opts.backoff?.initialMs ?? 500,
        maxBackoffMs: this.opts.backoff?.maxMs ?? 60_000,
        deviceVersion: this.opts.deviceVersion,
      });
      this.workers.set(dest.id, worker);
      worker.start();
    }
    void this.refreshStatus().catch((err: unknown) => this.log.warn({ err: errorText(err) }, 'outbox status refresh failed'));
  }

  /**
   * Lets every worker finish its in-flight send (and record its outcome), then closes the transports.
   * A send still running after `timeoutMs` is abandoned: its rows stay pending and are re-sent later.
   */
  async stop(timeoutMs = 30_000): Promise<void> {
    const workers = [...this.workers.values()];
    this.workers.clear();
    await Promise.all(workers.map((w) => w.stop(timeoutMs)));
  }

  /**
   * Stops at once, like a crash: in-flight sends are abandoned and their outcome is not recorded, so
   * those rows are delivered again by the next instance. For tests and emergency shutdown.
   */
  abort(): void {
    for (const w of this.workers.values()) w.abort();
    this.workers.clear();
  }

  /** The latest known per-destination state, without touching the store. */
  status(): DestinationStatus[] {
    const now = Date.now();
    return this.destinations.map((d) => {
      const s = this.states.get(d.id) ?? emptyState();
      return {
        id: d.id,
        type: d.type,
        pending: s.pending,
        delivered: s.delivered,
        failedAttempts: s.failedAttempts,
        lastError: s.lastError,
        lastErrorAt: iso(s.lastErrorAtMs),
        lastDeliveredAt: iso(s.lastDeliveredAtMs),
        lagSeconds: s.pending > 0 && s.oldestPendingMs !== null ? Math.max(0, (now - s.oldestPendingMs) / 1000) : 0,
        running: this.workers.get(d.id)?.running ?? false,
      };
    });
  }

  /** Re-reads the counters from the store (they include rows other processes enqueued or delivered). */
  async refreshStatus(ids: string[] = this.destinations.map((d) => d.id)): Promise<DestinationStatus[]> {
    const rows = await queryRows<StatusRow>(
      this.client,
      `SELECT destination,
              countIf(delivered_at IS NULL) AS pending,
              countIf(delivered_at IS NOT NULL) AS delivered,
              sum(attempts) - countIf(delivered_at IS NOT NULL) AS failed_attempts,
              max(delivered_at) AS last_delivered_at,
              minIf(enqueued_at, delivered_at IS NULL) AS oldest_pending,
              argMaxIf(last_error, last_error_at, last_error != '') AS error_text,
              max(last_error_at) AS error_at
       FROM outbox FINAL
       WHERE destination IN {ids:Array(String)}
       GROUP BY destination`,
      { ids },
    );
    const byId = new Map(rows.map((r) => [r.destination, r]));
    for (const id of ids) {
      const state = this.states.get(id);
      if (!state) continue;
      const r = byId.get(id);
      const memoryError = { text: state.lastError, at: state.lastErrorAtMs };
      Object.assign(state, emptyState());
      if (r) {
        state.pending = Number(r.pending);
        state.delivered = Number(r.delivered);
        state.failedAttempts = Math.max(0, Number(r.failed_attempts));
        state.lastDeliveredAtMs = chMs(r.last_delivered_at);
        state.oldestPendingMs = state.pending > 0 ? chMs(r.oldest_pending) : null;
        state.lastError = r.error_text === '' ? null : r.error_text;
        state.lastErrorAtMs = chMs(r.error_at);
      }
      // Errors that never reached the table (the store itself failing) stay visible.
      if (memoryError.at !== null && (state.lastErrorAtMs === null || memoryError.at > state.lastErrorAtMs)) {
        state.lastError = memoryError.text;
        state.lastErrorAtMs = memoryError.at;
      }
    }
    return this.status();
  }

  // --- used by the workers ---------------------------------------------------------------------

  /** @internal */
  async pendingRows(destination: string, limit: number): Promise<OutboxRow[]> {
    const rows = await queryRows<OutboxRow>(
      this.client,
      `SELECT destination, idempotency_id, finding_id, finding_updated_at, severity, finding, enqueued_at, attempts,
              last_attempt_at, last_error, last_error_at, delivered_at, version
       FROM outbox FINAL
       WHERE destination = {destination:String} AND delivered_at IS NULL
       ORDER BY finding_updated_at, finding_id, idempotency_id
       LIMIT {limit:UInt32}`,
      { destination, limit },
    );
    return rows.map((r) => ({ ...r, attempts: Number(r.attempts), severity: Number(r.severity), version: Number(r.version) }));
  }

  /** @internal */
  async recordDelivered(rows: OutboxRow[], attemptAt: string): Promise<void> {
    const values = rows.map((r) => {
      const attempts = r.attempts + 1;
      return { ...r, attempts, last_attempt_at: attemptAt, delivered_at: chNow(), version: DELIVERED_VERSION + attempts };
    });
    await this.client.insert({ table: 'outbox', values, format: 'JSONEachRow' });
    const state = this.states.get(rows[0]?.destination ?? '');
    if (state) {
      state.pending = Math.max(0, state.pending - rows.length);
      state.delivered += rows.length;
      state.lastDeliveredAtMs = Date.now();
      if (state.pending === 0) state.oldestPendingMs = null;
    }
  }

  /** @internal */
  async recordFailure(rows: OutboxRow[], attemptAt: string, error: string): Promise<void> {
    const state = this.states.get(rows[0]?.destination ?? '');
    if (state) {
      state.failedAttempts += rows.length;
      state.lastError = error;
      state.lastErrorAtMs = Date.now();
    }
    const values = rows.map((r) => {
      const attempts = r.attempts + 1;
      return { ...r, attempts, last_attempt_at: attemptAt, last_error: error, last_error_at: attemptAt, version: attempts };
    });
    await this.client.insert({ table: 'outbox', values, format: 'JSONEachRow' });
  }

  /** @internal An error outside a send (the store failing): shown in status, not stored. */
  noteError(destination: string, error: string): void {
    const state = this.states.get(destination);
    if (!state) return;
    state.lastError = error;
    state.lastErrorAtMs = Date.now();
  }

  /** @internal */
  get logger(): Logger {
    return this.log;
  }
}

function emptyState(): StatusState {
  return {
    pending: 0,
    delivered: 0,
    failedAttempts: 0,
    lastError: null,
    lastErrorAtMs: null,
    lastDeliveredAtMs: null,
    oldestPendingMs: null,
  };
}

interface WorkerSettings {
  batchSize: number;
  pollIntervalMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  deviceVersion: string | undefined;
}

/** Delivers one destination's rows, one batch at a time. */
class DestinationWorker {
  running = false;
  private stopping = false;
  private aborted = false;
  private loop: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | null = null;
  private idle = false;
  /** Set by wake(): rows may have arrived after the last read, so the next idle wait is skipped. */
  private woken = false;
  private failures = 0;

  constructor(
    private readonly outbox: Outbox,
    private readonly dest: DestinationConfig,
    private readonly transport: Transport,
    private readonly settings: WorkerSettings,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run()
      .catch((err: unknown) => this.outbox.logger.error({ destination: this.dest.id, err: errorText(err) }, 'forwarding worker failed'))
      .finally(() => {
        this.running = false;
      });
  }

  /** New rows: cuts an idle wait short, but not a backoff (new rows do not make a down receiver come back). */
  wake(): void {
    this.woken = true;
    if (this.idle) this.wakeUp?.();
  }

  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([this.loop.then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.outbox.logger.warn({ destination: this.dest.id, timeoutMs }, 'forwarding send still running at stop; abandoned, its rows stay pending');
      this.abort();
      return;
    }
    await this.transport.close().catch((err: unknown) => this.outbox.logger.warn({ destination: this.dest.id, err: errorText(err) }, 'transport close failed'));
  }

  abort(): void {
    this.aborted = true;
    this.stopping = true;
    this.wakeUp?.();
    void this.transport.close(true).catch(() => undefined);
  }

  private async run(): Promise<void> {
    const log = this.outbox.logger;
    const destination = this.dest.id;
    const format = destinationFormat(this.dest);
    while (!this.stopping) {
      let rows: OutboxRow[];
      this.woken = false;
      try {
        rows = await this.outbox.pendingRows(destination, this.settings.batchSize);
      } catch (err) {
        if (this.aborted) return;
        this.outbox.noteError(destination, `reading the outbox failed: ${errorText(err)}`);
        log.error({ destination, err: errorText(err) }, 'reading the outbox failed');
        await this.pause(this.nextBackoff());
        continue;
      }
      if (this.stopping) return;
      if (rows.length === 0) {
        await this.refresh();
        if (!this.woken) await this.pause(this.settings.pollIntervalMs, true);
        continue;
      }

      const attemptAt = chNow();
      try {
        const messages = rows.map((r): OutboundMessage => {
          const finding = JSON.parse(r.finding) as FindingRow;
          return {
            idempotencyId: r.idempotency_id,
            findingId: r.finding_id,
            time: findingTimeMs(r.finding_updated_at),
            severity: r.severity,
            format,
            payload: renderFinding(finding, format, { idempotencyId: r.idempotency_id, deviceVersion: this.settings.deviceVersion }),
          };
        });
        await this.transport.send(messages);
      } catch (err) {
        // A crashed process records nothing; neither does an aborted worker.
        if (this.aborted) return;
        const error = errorText(err);
        const delay = this.nextBackoff();
        log.warn({ destination, rows: rows.length, attempts: (rows[0]?.attempts ?? 0) + 1, retryInMs: delay, err: error }, 'forwarding failed; will retry');
        try {
          await this.outbox.recordFailure(rows, attemptAt, error);
        } catch (recordErr) {
          this.outbox.noteError(destination, `recording a failed attempt failed: ${errorText(recordErr)}`);
          log.error({ destination, err: errorText(recordErr) }, 'recording a failed forwarding attempt failed');
        }
        await this.pause(delay);
        continue;
      }
      if (this.aborted) return;

      try {
        await this.outbox.recordDelivered(rows, attemptAt);
      } catch (err) {
        // Sent but not recorded: the rows stay pending and go out again (same idempotency ids).
        this.outbox.noteError(destination, `recording a delivery failed: ${errorText(err)}`);
        log.error({ destination, err: errorText(err) }, 'recording a delivery failed; the batch will be sent again');
        await this.pause(this.nextBackoff());
        continue;
      }
      if (this.failures > 0) log.info({ destination, afterFailures: this.failures }, 'forwarding resumed');
      this.failures = 0;
      log.debug({ destination, rows: rows.length }, 'findings forwarded');
    }
  }

  private async refresh(): Promise<void> {
    try {
      await this.outbox.refreshStatus([this.dest.id]);
    } catch (err) {
      this.outbox.logger.warn({ destination: this.dest.id, err: errorText(err) }, 'outbox status refresh failed');
    }
  }

  private nextBackoff(): number {
    this.failures++;
    const { initialBackoffMs, maxBackoffMs } = this.settings;
    const delay = Math.min(maxBackoffMs, initialBackoffMs * 2 ** Math.min(this.failures - 1, 30));
    // Jitter: several forwarders recovering from one outage do not hit the receiver in lockstep.
    return Math.round(delay / 2 + (Math.random() * delay) / 2);
  }

  /** Sleeps `ms`, or less on stop — or, when `idle`, on new rows. */
  private pause(ms: number, idle = false): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wakeUp === done) {
          this.wakeUp = null;
          this.idle = false;
        }
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
      this.idle = idle;
    });
  }
}
