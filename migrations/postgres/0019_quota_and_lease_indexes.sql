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

-- An agent's leased jobs, counted on every claim and every agent lookup: keyed by the agent
-- and holding only leased jobs, so neither an agent's finished jobs nor everyone's leases
-- are walked.
CREATE INDEX jobs_leased_by_agent ON jobs (agent_id) WHERE lease_id IS NOT NULL;

-- Jobs are a queue: a claim changes a row and its indexes every time. Vacuumed and analysed
-- after a fiftieth or a hundredth of the table changed (rather than a fifth and a tenth), the
-- queue indexes do not fill with dead entries and the planner does not keep believing that
-- no job is leased, which made it count an agent's jobs through every user's leases.
ALTER TABLE jobs SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.01);
