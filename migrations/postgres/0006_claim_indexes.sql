-- The twin of SQLite's 0010: indexes that let a claim find the fair next job without sorting
-- the whole queue.
CREATE INDEX jobs_queued_by_user ON jobs (user_id, attempts, created_at, id)
    WHERE status = 'queued';
CREATE INDEX jobs_leased_by_user ON jobs (user_id) WHERE lease_id IS NOT NULL;
