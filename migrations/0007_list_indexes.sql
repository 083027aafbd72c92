-- Indexes that serve the job lists page by page: a user's own jobs and everyone's, newest
-- first with the id breaking ties (what a cursor names), so a page reads only its rows.
CREATE INDEX jobs_by_user_page ON jobs (user_id, created_at DESC, id DESC);
CREATE INDEX jobs_by_created ON jobs (created_at DESC, id DESC);
DROP INDEX jobs_by_user;
