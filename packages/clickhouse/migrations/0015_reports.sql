-- Generated monthly reports, kept so that what was sent to management can be fetched again as it was,
-- and so the scheduler knows a month is done (it checks here before generating: idempotent across
-- restarts). One row per generation, never updated; a later generation of the same month and format
-- is a new row (the list shows each). `content` is the document itself: UTF-8 text for html/csv/json,
-- base64 for pdf (`encoding`), so every row survives JSON transport; `sha256` is over the decoded bytes.
CREATE TABLE IF NOT EXISTS reports
(
    id           String,
    month        String,
    format       LowCardinality(String),
    generated_at DateTime64(3, 'UTC'),
    generated_by String,
    encoding     LowCardinality(String),
    content      String,
    size         UInt64,
    sha256       String
)
ENGINE = MergeTree
ORDER BY (month, format, generated_at)
