-- Indexes that serve the operators' user list and dead-letter queue page by page, newest
-- first with the id breaking ties (what a cursor names).
CREATE INDEX users_by_created ON users (created_at DESC, id DESC);
CREATE INDEX jobs_dead_letters ON jobs (status, updated_at DESC, id DESC)
    WHERE dead_lettered = 1;
