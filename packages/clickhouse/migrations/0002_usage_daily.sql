-- Usage by (day, user, app), kept up to date by a materialized view on every insert into events, so
-- the API and findings read a few rows per user and app instead of scanning raw events.
-- SimpleAggregateFunction columns merge in the background; readers still GROUP BY to combine parts.
CREATE TABLE IF NOT EXISTS usage_daily
(
    day        Date,
    user       String,
    app_id     LowCardinality(String),
    requests   SimpleAggregateFunction(sum, UInt64),
    blocked    SimpleAggregateFunction(sum, UInt64),
    bytes_out  SimpleAggregateFunction(sum, UInt64),
    bytes_in   SimpleAggregateFunction(sum, UInt64),
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen  SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, user, day);

CREATE MATERIALIZED VIEW IF NOT EXISTS usage_daily_mv TO usage_daily AS
SELECT
    toDate(ts)                            AS day,
    user,
    app_id,
    toUInt64(count())                     AS requests,
    toUInt64(countIf(action = 'blocked')) AS blocked,
    toUInt64(sum(ifNull(bytes_out, 0)))   AS bytes_out,
    toUInt64(sum(ifNull(bytes_in, 0)))    AS bytes_in,
    min(ts)                               AS first_seen,
    max(ts)                               AS last_seen
FROM events
GROUP BY day, user, app_id
