-- The status page's history. The sampler records each component's state every minute as a raw
-- sample (kept two days, for the last 24 hours' uptime) and adds the same seconds to the
-- component's day (kept at least 400 days). Incidents and maintenance windows are what operators
-- write.

CREATE TABLE status_samples (
    component TEXT NOT NULL,
    at        INTEGER NOT NULL,
    state     TEXT NOT NULL,
    seconds   INTEGER NOT NULL,
    PRIMARY KEY (component, at)
);
CREATE INDEX status_samples_by_time ON status_samples (at);

CREATE TABLE status_days (
    component           TEXT NOT NULL,
    day                 TEXT NOT NULL,
    operational_seconds INTEGER NOT NULL DEFAULT 0,
    degraded_seconds    INTEGER NOT NULL DEFAULT 0,
    partial_seconds     INTEGER NOT NULL DEFAULT 0,
    major_seconds       INTEGER NOT NULL DEFAULT 0,
    maintenance_seconds INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (component, day)
);

CREATE TABLE status_incidents (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    component   TEXT NOT NULL,
    severity    TEXT NOT NULL CHECK (severity IN ('minor', 'major', 'critical')),
    status      TEXT NOT NULL
                    CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
    started_at  INTEGER NOT NULL,
    resolved_at INTEGER
);
CREATE INDEX status_incidents_by_time ON status_incidents (started_at);

CREATE TABLE status_incident_updates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id TEXT NOT NULL REFERENCES status_incidents(id) ON DELETE CASCADE,
    status      TEXT NOT NULL,
    note        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX status_incident_updates_by_incident ON status_incident_updates (incident_id, id);

CREATE TABLE status_maintenance (
    id           TEXT PRIMARY KEY,
    title        TEXT NOT NULL,
    -- Comma-separated component ids.
    components   TEXT NOT NULL,
    starts_at    INTEGER NOT NULL,
    ends_at      INTEGER NOT NULL CHECK (ends_at > starts_at),
    cancelled_at INTEGER,
    created_at   INTEGER NOT NULL
);
CREATE INDEX status_maintenance_by_end ON status_maintenance (ends_at);
