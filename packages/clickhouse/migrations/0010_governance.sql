-- Governance: API keys (only a SHA-256 of the secret is kept; the key is shown once), sanction
-- decisions that override the sanctions file, and the append-only audit log of every change.
-- Keys and sanctions keep one row per version (newest wins); the audit log is never updated.
CREATE TABLE IF NOT EXISTS api_keys
(
    id           String,
    name         String,
    role         LowCardinality(String),
    secret_hash  String,
    created_at   DateTime64(3, 'UTC'),
    expires_at   Nullable(DateTime64(3, 'UTC')),
    revoked_at   Nullable(DateTime64(3, 'UTC')),
    last_used_at Nullable(DateTime64(3, 'UTC')),
    created_by   String,
    updated_at   DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id;

CREATE TABLE IF NOT EXISTS sanctions
(
    app_id     String,
    status     LowCardinality(String),
    reason     String,
    scope      String,
    expires_at Nullable(DateTime64(3, 'UTC')),
    previous   String,
    actor      String,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY app_id;

CREATE TABLE IF NOT EXISTS audit_log
(
    ts     DateTime64(3, 'UTC'),
    id     String,
    actor  String,
    action LowCardinality(String),
    target String,
    before String,
    after  String
)
ENGINE = MergeTree
ORDER BY (ts, id);

-- Group membership for sanctions scoped to groups: one row per (group, user); `deleted` removes it.
CREATE TABLE IF NOT EXISTS group_members
(
    group_name String,
    user       String,
    deleted    UInt8,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (group_name, user);

-- Pseudonymisation: the user name behind each keyed hash, encrypted (AES-256-GCM, key derived from the
-- installation secret), readable only through the admin re-identification endpoint, which is audited.
CREATE TABLE IF NOT EXISTS pseudonyms
(
    pseudonym  String,
    ciphertext String,
    created_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY pseudonym
