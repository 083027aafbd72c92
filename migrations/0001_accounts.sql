-- Accounts, plans, sessions, API keys, one-time account tokens, audit log and security events.

CREATE TABLE plans (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    max_active_jobs   INTEGER NOT NULL CHECK (max_active_jobs >= 0),
    max_storage_bytes INTEGER NOT NULL CHECK (max_storage_bytes >= 0),
    max_job_bytes     INTEGER NOT NULL CHECK (max_job_bytes >= 0),
    retention_days    INTEGER NOT NULL CHECK (retention_days >= 0),
    price_cents       INTEGER NOT NULL DEFAULT 0,
    sort_order        INTEGER NOT NULL
);

INSERT INTO plans (id, name, max_active_jobs, max_storage_bytes, max_job_bytes, retention_days, price_cents, sort_order) VALUES
    ('free',     'Free',     2,  10737418240,    2147483648,   7,  0,    0),
    ('pro',      'Pro',      10, 214748364800,   53687091200,  30, 900,  1),
    ('business', 'Business', 50, 2199023255552,  214748364800, 90, 2900, 2);

CREATE TABLE users (
    id                TEXT PRIMARY KEY,
    email             TEXT NOT NULL UNIQUE,
    password_hash     TEXT NOT NULL,
    role              TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'support', 'admin', 'superadmin')),
    plan_id           TEXT NOT NULL DEFAULT 'free' REFERENCES plans(id),
    email_verified_at INTEGER,
    suspended_at      INTEGER,
    suspended_reason  TEXT,
    aup_accepted_at   INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash   BLOB NOT NULL UNIQUE,
    csrf_token   TEXT NOT NULL,
    ip           TEXT,
    user_agent   TEXT,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    key_hash     BLOB NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_keys_by_user ON api_keys (user_id);

CREATE TABLE account_tokens (
    token_hash BLOB PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX account_tokens_by_user ON account_tokens (user_id, purpose);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id    TEXT REFERENCES users(id) ON DELETE SET NULL,
    actor_email TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    reason      TEXT,
    ticket_id   TEXT,
    detail      TEXT NOT NULL DEFAULT '{}',
    ip          TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (created_at);

CREATE TABLE security_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL,
    user_id    TEXT REFERENCES users(id) ON DELETE SET NULL,
    email      TEXT,
    ip         TEXT,
    detail     TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);
CREATE INDEX security_events_by_time ON security_events (created_at);
