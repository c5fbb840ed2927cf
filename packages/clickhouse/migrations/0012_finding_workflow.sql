-- Triage state of findings, kept apart from the detector's counts so that neither overwrites the
-- other: the detector re-derives counts into `findings`; analysts change `finding_triage` (newest row
-- wins). `finding_history` is the append-only record of every change (who, when, from, to, why),
-- notes included. Suppression rules silence findings by user, app or type until they expire.
CREATE TABLE IF NOT EXISTS finding_triage
(
    id         String,
    status     LowCardinality(String),
    assignee   Nullable(String),
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id;

CREATE TABLE IF NOT EXISTS finding_history
(
    finding_id  String,
    ts          DateTime64(3, 'UTC'),
    actor       String,
    from_status LowCardinality(String),
    to_status   LowCardinality(String),
    assignee    Nullable(String),
    reason      String,
    note        String
)
ENGINE = MergeTree
ORDER BY (finding_id, ts);

CREATE TABLE IF NOT EXISTS suppression_rules
(
    id         String,
    user       Nullable(String),
    app_id     Nullable(String),
    type       Nullable(String),
    reason     String,
    expires_at Nullable(DateTime64(3, 'UTC')),
    actor      String,
    deleted    UInt8,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id
