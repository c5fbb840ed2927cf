-- The highest source offset stored per source (Kafka `topic/partition`, HTTP batch id). Written by a
-- materialized view in the same INSERT as the events, so it never claims rows that are not stored.
-- After a crash between the insert and the Kafka offset commit, the consumer skips messages at or
-- below this offset instead of storing them twice.
CREATE TABLE IF NOT EXISTS ingest_positions
(
    src        String,
    max_offset SimpleAggregateFunction(max, UInt64)
)
ENGINE = AggregatingMergeTree
ORDER BY src;

CREATE MATERIALIZED VIEW IF NOT EXISTS ingest_positions_mv TO ingest_positions AS
SELECT src, max(src_offset) AS max_offset
FROM events
GROUP BY src
