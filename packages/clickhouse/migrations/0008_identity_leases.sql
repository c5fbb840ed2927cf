-- Who used an IP address when: DHCP/VPN leases and logon events, loaded over the API or the
-- identity-events Kafka topic. DNS and firewall logs carry only addresses; events are attributed to the
-- user whose lease covers the event time. Keyed on (ip, valid_from) so a replayed lease replaces itself.
CREATE TABLE IF NOT EXISTS identity_leases
(
    ip         String,
    user       String,
    valid_from DateTime64(3, 'UTC'),
    valid_to   DateTime64(3, 'UTC'),
    source     LowCardinality(String),
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (ip, valid_from)
