-- The twin of SQLite's 0023: what an organization's unfinished jobs reserve and what its stored
-- files take, each read from an index of its own instead of every job the organization ever
-- had. Stored files carry their job's organization for the same reason they carry its user.
CREATE INDEX jobs_reserving_by_org ON jobs (org_id, total_bytes)
    WHERE device_id IS NULL AND total_bytes IS NOT NULL
      AND status NOT IN ('completed', 'cancelled', 'failed');
DROP INDEX jobs_reserving_by_user;

ALTER TABLE objects ADD COLUMN org_id TEXT REFERENCES organizations(id);
UPDATE objects SET org_id = (SELECT j.org_id FROM jobs j WHERE j.id = objects.job_id);
ALTER TABLE objects ALTER COLUMN org_id SET NOT NULL;
CREATE INDEX objects_by_org ON objects (org_id, size);
