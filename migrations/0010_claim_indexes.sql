-- Indexes that let a claim find the fair next job without sorting the whole queue: each
-- user's queued jobs in the order they are taken, and each user's leased jobs to count.
CREATE INDEX jobs_queued_by_user ON jobs (user_id, attempts, created_at, id)
    WHERE status = 'queued';
CREATE INDEX jobs_leased_by_user ON jobs (user_id) WHERE lease_id IS NOT NULL;
-- What a user's unfinished cloud jobs of known size reserve against the quota, read from the
-- index alone rather than from every job the user ever had.
CREATE INDEX jobs_reserving_by_user ON jobs (user_id, total_bytes)
    WHERE device_id IS NULL AND total_bytes IS NOT NULL
      AND status NOT IN ('completed', 'cancelled', 'failed');
