-- The twin of SQLite's 0009: indexes that serve the user list and the dead-letter queue.
CREATE INDEX users_by_created ON users (created_at DESC, id DESC);
CREATE INDEX jobs_dead_letters ON jobs (status, updated_at DESC, id DESC)
    WHERE dead_lettered = 1;
