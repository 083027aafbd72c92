-- Retention: the stored files of completed jobs are deleted once their plan's retention days have
-- passed (users are mailed before), and each sweep is recorded with a daily storage snapshot.

ALTER TABLE jobs ADD COLUMN files_expired_at INTEGER;
ALTER TABLE jobs ADD COLUMN expiry_warned_at INTEGER;
-- The completed jobs whose files may still expire: the sweep reads only these.
CREATE INDEX jobs_files_to_expire ON jobs (completed_at)
    WHERE status = 'completed' AND files_expired_at IS NULL;

CREATE TABLE storage_snapshots (
    day             TEXT PRIMARY KEY,
    stored_bytes    INTEGER NOT NULL,
    objects         INTEGER NOT NULL,
    users           INTEGER NOT NULL,
    reclaimed_bytes INTEGER NOT NULL DEFAULT 0,
    deleted_files   INTEGER NOT NULL DEFAULT 0,
    taken_at        INTEGER NOT NULL
);

CREATE TABLE retention_sweeps (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at      INTEGER NOT NULL,
    finished_at     INTEGER NOT NULL,
    expired_jobs    INTEGER NOT NULL,
    deleted_files   INTEGER NOT NULL,
    reclaimed_bytes INTEGER NOT NULL,
    warned_users    INTEGER NOT NULL,
    -- JSON object: what each retention period removed.
    pruned          TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX retention_sweeps_by_time ON retention_sweeps (started_at);
-- Pruning by age reads these.
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX account_tokens_by_expiry ON account_tokens (expires_at);
CREATE INDEX job_events_by_time ON job_events (created_at);
