-- An organisation's own apps (its LLM gateway, confirmed candidates), kept in the store so they survive
-- restarts and upgrades without touching the shipped catalog files. One row per version of an app; the
-- newest wins (ReplacingMergeTree on updated_at); `deleted` marks a removal.
-- Every event records the catalog version that classified it, so a reclassification can be traced.
CREATE TABLE IF NOT EXISTS custom_apps
(
    id         String,
    body       String,
    deleted    UInt8 DEFAULT 0,
    actor      String,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id;

ALTER TABLE events ADD COLUMN IF NOT EXISTS catalog_version LowCardinality(String) DEFAULT ''
