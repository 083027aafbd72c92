-- Agents, the work queue's leases and routing, and the objects finished jobs keep in storage.

CREATE TABLE agents (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('operator', 'device')),
    -- Devices serve only their owner; operator agents serve everyone.
    owner_user_id   TEXT REFERENCES users(id) ON DELETE CASCADE,
    region          TEXT NOT NULL,
    capacity        INTEGER NOT NULL DEFAULT 0 CHECK (capacity >= 0),
    version         TEXT,
    token_hash      TEXT NOT NULL UNIQUE,
    created_at      INTEGER NOT NULL,
    revoked_at      INTEGER,
    last_seen_at    INTEGER,
    cpu_percent     REAL,
    memory_bytes    INTEGER,
    disk_free_bytes INTEGER,
    bandwidth_bps   INTEGER,
    CHECK ((kind = 'device') = (owner_user_id IS NOT NULL))
);

-- Routing wishes of the job, and the lease of the agent working on it.
ALTER TABLE jobs ADD COLUMN region TEXT;
ALTER TABLE jobs ADD COLUMN device_id TEXT REFERENCES agents(id) ON DELETE SET NULL;
ALTER TABLE jobs ADD COLUMN agent_id TEXT REFERENCES agents(id) ON DELETE SET NULL;
ALTER TABLE jobs ADD COLUMN lease_id TEXT;
ALTER TABLE jobs ADD COLUMN lease_expires_at INTEGER;
-- A retried job waits until then (exponential back-off).
ALTER TABLE jobs ADD COLUMN not_before INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_queue ON jobs (not_before) WHERE status = 'queued';
CREATE INDEX jobs_by_agent ON jobs (agent_id) WHERE agent_id IS NOT NULL;

-- Files of finished jobs in the object store: what storage use and quotas count.
CREATE TABLE objects (
    key        TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    job_id     TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    file_index INTEGER NOT NULL,
    path       TEXT NOT NULL,
    size       INTEGER NOT NULL CHECK (size >= 0),
    created_at INTEGER NOT NULL,
    UNIQUE (job_id, file_index)
);
CREATE INDEX objects_by_user ON objects (user_id);
