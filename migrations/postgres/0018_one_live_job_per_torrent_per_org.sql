-- The twin of SQLite's 0022.
-- A torrent is fetched once per organization at a time, not once per user: a team shares its
-- jobs' files, and a user may fetch the same torrent for their own account and for a team.
DROP INDEX jobs_one_live_per_torrent;
CREATE UNIQUE INDEX jobs_one_live_per_torrent ON jobs (org_id, info_hash)
    WHERE status NOT IN ('completed', 'cancelled', 'failed');
