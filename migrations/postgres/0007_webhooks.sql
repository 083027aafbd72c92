-- The twin of SQLite's 0011. Webhooks: endpoints a user registers for the ends of their jobs, a
-- job's one-off callback URL, and the deliveries waiting, done or given up. Deliveries are made from job_events (the outbox:
-- every end of a job is an event written with the state change); the cursor says how far.

CREATE TABLE webhooks (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    -- Signs every delivery; shown to the user once, when the endpoint is made.
    secret      TEXT NOT NULL,
    -- Comma-separated event names: job.completed, job.failed, job.dead_lettered.
    events      TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE INDEX webhooks_by_user ON webhooks (user_id, created_at);

-- A user's secret for the callbacks of single jobs (`callbackUrl`); shown once when made.
CREATE TABLE webhook_callback_secrets (
    user_id    TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE job_callbacks (
    job_id TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
    url    TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- NULL for a job's callback.
    webhook_id      TEXT REFERENCES webhooks(id) ON DELETE CASCADE,
    -- Not a foreign key: a deleted job's end is still reported.
    job_id          TEXT NOT NULL,
    event           TEXT NOT NULL,
    url             TEXT NOT NULL,
    payload         TEXT NOT NULL,
    -- pending, delivered, failed (given up).
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_status     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_user ON webhook_deliveries (user_id, created_at);

-- The last job event turned into deliveries; absent before the first.
CREATE TABLE webhook_cursor (
    id            BIGINT PRIMARY KEY CHECK (id = 1),
    last_event_id BIGINT NOT NULL
);
