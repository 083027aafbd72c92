-- The desktop app's own state: its settings, the downloads it runs itself, and what it has
-- synced from the cloud. Never edited once landed: later changes get a new numbered file.

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Downloads on this computer. The checked metadata is kept so a restart resumes at once,
-- without asking peers for it again.
CREATE TABLE local_jobs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    info_hash TEXT NOT NULL,
    magnet TEXT,
    torrent BLOB NOT NULL,
    folder TEXT NOT NULL,
    -- The torrent's own file or folder inside `folder`: what "delete with files" removes.
    content_path TEXT NOT NULL,
    selected_files TEXT,
    total_bytes INTEGER NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    created_at INTEGER NOT NULL,
    completed_at INTEGER
) STRICT;

CREATE UNIQUE INDEX local_jobs_active_hash ON local_jobs (info_hash)
    WHERE status IN ('downloading', 'paused');

-- One row per file of a finished cloud job being copied into the sync folder. `received` is
-- what the temporary file holds; the final name appears only after verification.
CREATE TABLE syncs (
    job_id TEXT NOT NULL,
    file_index INTEGER NOT NULL,
    remote_path TEXT NOT NULL,
    size INTEGER NOT NULL,
    local_path TEXT,
    received INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    error TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (job_id, file_index)
) STRICT;

-- Cloud jobs the user chose not to sync.
CREATE TABLE sync_opt_outs (
    job_id TEXT PRIMARY KEY
) STRICT;
