-- Forwarding outbox: every finding version bound for a SIEM destination is stored here BEFORE it is
-- sent, so a crash or a receiver outage never loses it (at-least-once delivery).
--
-- Why one table with whole-row versions instead of an outbox table plus a delivery-state table:
-- ClickHouse has no cheap UPDATE, and a pending query that anti-joins two growing tables gets slower
-- with every delivered row. Here each state change (attempt failed, delivered) re-inserts the full row
-- with a higher `version`, ReplacingMergeTree keeps the newest per (destination, idempotency_id), and
-- readers use FINAL: "pending" is one filtered scan of one key range.
--
-- `version` ranks states so that a stale writer can never undo progress:
--   enqueued = 0, after n attempts that failed = n, delivered after n attempts = 2^40 + n.
-- Enqueueing the same finding version again therefore loses against any recorded attempt or delivery,
-- and a late "failed" record from a worker that crashed cannot resurrect a delivered row.
--
-- `idempotency_id` = sha256(destination, finding id, finding updated_at): one row per finding version
-- and destination, and the key every message carries so receivers can drop duplicates.
-- `finding` is the FindingRow as JSON, because `findings` keeps only the newest version of a finding
-- while the outbox must deliver exactly the version that was enqueued.
-- Delivery order is (finding_updated_at, finding_id): versions of one finding go out in order.
CREATE TABLE IF NOT EXISTS outbox
(
    destination        LowCardinality(String),
    idempotency_id     String,
    finding_id         String,
    finding_updated_at DateTime64(3, 'UTC'),
    severity           UInt8,
    finding            String,
    enqueued_at        DateTime64(3, 'UTC'),
    attempts           UInt32,
    last_attempt_at    Nullable(DateTime64(3, 'UTC')),
    last_error         String,
    last_error_at      Nullable(DateTime64(3, 'UTC')),
    delivered_at       Nullable(DateTime64(3, 'UTC')),
    version            UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (destination, idempotency_id)
