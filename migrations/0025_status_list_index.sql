-- Operators list everyone's jobs in one status (Admin → Jobs, failed say) newest first. The
-- status index alone made each page sort every job in that status; this one keeps them in page
-- order, and serves every lookup by status the old one did.
CREATE INDEX jobs_by_status_page ON jobs (status, created_at DESC, id DESC);
DROP INDEX jobs_by_status;
