-- Totals per (day, app) inside usage_daily, as a projection: GET /v1/apps (and the console and Grafana,
-- which run the same SQL) sum requests and bytes per app over a window, which otherwise reads one row per
-- (day, user, app): about a million rows for 5,000 users over 30 days. The projection answers the sums
-- from one row per (day, app); distinct users still come from the base rows (exact counts cannot be
-- pre-summed across days). A projection rather than another table: it is kept with every part by the
-- engine, so it needs no view and no backfill that could race with inserts, and MATERIALIZE builds it
-- for the parts already there, in the background.
-- 'rebuild': when rows of this AggregatingMergeTree merge, the projection is built again from the
-- merged rows, instead of refusing the projection (the default for engines that combine rows on merge).
ALTER TABLE usage_daily MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';

ALTER TABLE usage_daily ADD PROJECTION IF NOT EXISTS by_app_day
(
    SELECT day, app_id, sum(requests), sum(blocked), sum(bytes_out), sum(bytes_in), min(first_seen), max(last_seen)
    GROUP BY day, app_id
);

ALTER TABLE usage_daily MATERIALIZE PROJECTION by_app_day;
