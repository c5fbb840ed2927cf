-- Discovery of AI services the catalog does not list: events to unknown destinations that show signals
-- of AI use (LLM API paths, AI SDK user agents, MCP endpoints, AI terms in the host) are stored in
-- `events` with app_id '' and their signals, so they share the crash-safe ingest positions of AI events.
-- `candidates` aggregates them per host; `candidate_reviews` keeps what an analyst decided.
ALTER TABLE events ADD COLUMN IF NOT EXISTS signals Array(LowCardinality(String)) DEFAULT [];

ALTER TABLE events ADD COLUMN IF NOT EXISTS candidate_score UInt8 DEFAULT 0;

-- Usage and findings are about catalogued apps only: recreate the view with that filter.
DROP VIEW IF EXISTS usage_daily_mv;

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
WHERE app_id != ''
GROUP BY day, user, app_id;

CREATE TABLE IF NOT EXISTS candidates
(
    host              String,
    requests          SimpleAggregateFunction(sum, UInt64),
    users             AggregateFunction(uniq, String),
    signals           SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    score             SimpleAggregateFunction(max, UInt8),
    first_seen        SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen         SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    sample_url        SimpleAggregateFunction(any, String),
    sample_user_agent SimpleAggregateFunction(any, String)
)
ENGINE = AggregatingMergeTree
ORDER BY host;

CREATE MATERIALIZED VIEW IF NOT EXISTS candidates_mv TO candidates AS
SELECT
    host,
    toUInt64(count())                              AS requests,
    uniqState(user)                                AS users,
    groupUniqArrayArray(CAST(signals, 'Array(String)')) AS signals,
    max(candidate_score)                           AS score,
    min(ts)                                        AS first_seen,
    max(ts)                                        AS last_seen,
    any(ifNull(url, ''))                           AS sample_url,
    any(ifNull(user_agent, ''))                    AS sample_user_agent
FROM events
WHERE app_id = ''
GROUP BY host;

CREATE TABLE IF NOT EXISTS candidate_reviews
(
    host       String,
    status     LowCardinality(String),
    note       String,
    actor      String,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY host
