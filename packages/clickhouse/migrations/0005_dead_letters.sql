-- Lines from HTTP, files and syslog that could not be parsed: the original bytes (base64, since they
-- may not be valid UTF-8) and the reason. Kafka lines go to `<topic>.dlq` instead. Keyed on the
-- source position so a replayed batch does not list the same line twice once parts merge.
CREATE TABLE IF NOT EXISTS dead_letters
(
    received_at DateTime64(3, 'UTC'),
    src         String,
    src_offset  UInt64,
    src_line    UInt32,
    format      LowCardinality(String),
    reason      String,
    raw_base64  String
)
ENGINE = ReplacingMergeTree
ORDER BY (src, src_offset, src_line)
