-- The twin of SQLite's 0007: indexes that serve the job lists page by page.
CREATE INDEX jobs_by_user_page ON jobs (user_id, created_at DESC, id DESC);
CREATE INDEX jobs_by_created ON jobs (created_at DESC, id DESC);
DROP INDEX jobs_by_user;
