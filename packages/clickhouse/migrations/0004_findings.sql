-- Findings, one row per (type, user, app) identified by a stable id. The detector re-derives counts
-- from usage_daily and writes a new version; ReplacingMergeTree keeps the newest (readers use FINAL),
-- so re-evaluating the same data rewrites the same finding instead of adding one.
CREATE TABLE IF NOT EXISTS findings
(
    id          String,
    type        LowCardinality(String),
    user        String,
    app_id      LowCardinality(String),
    sanction    LowCardinality(String),
    severity    UInt8,
    status      LowCardinality(String),
    first_seen  DateTime64(3, 'UTC'),
    last_seen   DateTime64(3, 'UTC'),
    requests    UInt64,
    bytes_out   UInt64,
    bytes_in    UInt64,
    updated_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id
