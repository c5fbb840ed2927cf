-- One row per log line whose destination the catalog recognised as an AI app. Lines to other
-- destinations are counted in /metrics but not stored: the product answers questions about AI use,
-- and storing every proxy line would multiply the volume for nothing it reports.
-- `user` is the identity usage is attributed to: the authenticated user when the log carries one,
-- otherwise the client address (DNS logs), so per-user usage never silently merges unknown clients.
-- (src, src_offset, src_line) say where the line came from (Kafka topic/partition + offset, HTTP batch +
-- line number); crash recovery reads the highest stored offset per src from ingest_positions.
-- Ordered by (app_id, user, ts): the API's questions are "who uses app X" and "what does user Y use".
CREATE TABLE IF NOT EXISTS events
(
    ts          DateTime64(3, 'UTC'),
    kind        LowCardinality(String),
    format      LowCardinality(String),
    user        String,
    user_raw    Nullable(String),
    src_ip      Nullable(String),
    host        String,
    dest_ip     Nullable(String),
    dest_port   Nullable(UInt16),
    url         Nullable(String),
    method      LowCardinality(Nullable(String)),
    status      Nullable(UInt16),
    bytes_out   Nullable(UInt64),
    bytes_in    Nullable(UInt64),
    user_agent  Nullable(String),
    action      LowCardinality(Nullable(String)),
    dns_type    LowCardinality(Nullable(String)),
    dns_rcode   LowCardinality(Nullable(String)),
    app_id      LowCardinality(String),
    activity    LowCardinality(String),
    matched_by  LowCardinality(String),
    src         String,
    src_offset  UInt64,
    src_line    UInt32,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (app_id, user, ts)
