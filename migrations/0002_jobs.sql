-- Jobs, the files of their torrents, and their event history.

CREATE TABLE jobs (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    source           TEXT NOT NULL CHECK (source IN ('magnet', 'torrentFile', 'torrentUrl')),
    magnet_uri       TEXT,
    torrent          BLOB,
    source_url       TEXT,
    info_hash_v1     TEXT,
    info_hash_v2     TEXT,
    info_hash        TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('submitted', 'queued', 'metadata', 'downloading',
                         'uploading', 'completed', 'paused', 'cancelled', 'failed')),
    dead_lettered    INTEGER NOT NULL DEFAULT 0,
    total_bytes      INTEGER,
    downloaded_bytes INTEGER NOT NULL DEFAULT 0,
    error            TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    completed_at     INTEGER
);
CREATE INDEX jobs_by_user ON jobs (user_id, created_at DESC);
CREATE INDEX jobs_by_status ON jobs (status);
-- One live job per torrent per user: a second submission of the same torrent is a conflict.
CREATE UNIQUE INDEX jobs_one_live_per_torrent ON jobs (user_id, info_hash)
    WHERE status NOT IN ('completed', 'cancelled', 'failed');

CREATE TABLE job_files (
    job_id   TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    idx      INTEGER NOT NULL,
    path     TEXT NOT NULL,
    size     INTEGER NOT NULL CHECK (size >= 0),
    selected INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (job_id, idx)
);

CREATE TABLE job_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id     TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    status     TEXT,
    message    TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX job_events_by_job ON job_events (job_id, id);
