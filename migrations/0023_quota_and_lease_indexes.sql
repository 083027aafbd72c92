-- A claim, a submission and the usage page read what an organization's unfinished jobs reserve
-- and what its stored files take. Since jobs belong to organizations those sums walked every
-- job the organization ever had; each now reads an index of its own. Stored files carry their
-- job's organization for the same reason they carry its user.
CREATE INDEX jobs_reserving_by_org ON jobs (org_id, total_bytes)
    WHERE device_id IS NULL AND total_bytes IS NOT NULL
      AND status NOT IN ('completed', 'cancelled', 'failed');
DROP INDEX jobs_reserving_by_user;

ALTER TABLE objects ADD COLUMN org_id TEXT REFERENCES organizations(id);
UPDATE objects SET org_id = (SELECT j.org_id FROM jobs j WHERE j.id = objects.job_id);
CREATE INDEX objects_by_org ON objects (org_id, size);

-- An agent's leased jobs, counted on every claim and every agent lookup: keyed by the agent
-- and holding only leased jobs, so neither an agent's finished jobs nor everyone's leases
-- are walked.
CREATE INDEX jobs_leased_by_agent ON jobs (agent_id) WHERE lease_id IS NOT NULL;
