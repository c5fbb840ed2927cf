-- Forwarding destinations configured over the API (one row per version; newest wins, `deleted` removes).
-- The config holds receiver credentials (HEC token, webhook secret): the API never returns them.
CREATE TABLE IF NOT EXISTS destinations
(
    id         String,
    config     String,
    deleted    UInt8,
    actor      String,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id
