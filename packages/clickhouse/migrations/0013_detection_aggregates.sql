-- Aggregates the window rules of the detector read instead of raw events: requests by activity and
-- user agent class per (day, user, app) for programmatic and agent use, and per-user use of signalled
-- non-catalog destinations (DNS-over-HTTPS resolvers, candidate AI services). Plus the registry of
-- non-human identities (service accounts, workloads, hosts) with their human sponsor and expiry.
CREATE TABLE IF NOT EXISTS activity_daily
(
    day        Date,
    user       String,
    app_id     LowCardinality(String),
    activity   LowCardinality(String),
    sdk        UInt8,
    requests   SimpleAggregateFunction(sum, UInt64),
    bytes_out  SimpleAggregateFunction(sum, UInt64),
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen  SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    sample_ua  SimpleAggregateFunction(any, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, user, day, activity, sdk);

CREATE MATERIALIZED VIEW IF NOT EXISTS activity_daily_mv TO activity_daily AS
SELECT
    toDate(ts) AS day,
    user,
    app_id,
    activity,
    toUInt8(has(signals, 'ai-sdk-user-agent')) AS sdk,
    toUInt64(count()) AS requests,
    toUInt64(sum(ifNull(bytes_out, 0))) AS bytes_out,
    min(ts) AS first_seen,
    max(ts) AS last_seen,
    any(ifNull(user_agent, '')) AS sample_ua
FROM events
WHERE app_id != ''
GROUP BY day, user, app_id, activity, sdk;

CREATE TABLE IF NOT EXISTS signal_daily
(
    day        Date,
    user       String,
    signal     LowCardinality(String),
    host       String,
    requests   SimpleAggregateFunction(sum, UInt64),
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen  SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (signal, user, day, host);

CREATE MATERIALIZED VIEW IF NOT EXISTS signal_daily_mv TO signal_daily AS
SELECT toDate(ts) AS day, user, signal, host, toUInt64(count()) AS requests, min(ts) AS first_seen, max(ts) AS last_seen
FROM events
ARRAY JOIN signals AS signal
WHERE app_id = ''
GROUP BY day, user, signal, host;

CREATE TABLE IF NOT EXISTS agents
(
    id           String,
    identity     String,
    kind         LowCardinality(String),
    sponsor      String,
    expires_at   Nullable(DateTime64(3, 'UTC')),
    allowed_apps Array(String),
    description  String,
    deleted      UInt8,
    actor        String,
    updated_at   DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id
;

-- Findings carry their evidence (capped samples and counts) and, for per-day findings, the day.
ALTER TABLE findings ADD COLUMN IF NOT EXISTS evidence String DEFAULT '{}';

ALTER TABLE findings ADD COLUMN IF NOT EXISTS finding_key String DEFAULT ''
