-- Jobs (and through them their stored files) and API keys belong to an organization, and a
-- session works in one; a team organization has a plan of its own (a personal one keeps using
-- its user's). Everything that exists belongs to its user's personal organization.

ALTER TABLE jobs ADD COLUMN org_id TEXT REFERENCES organizations(id);
UPDATE jobs SET org_id = 'org_' || user_id;
CREATE INDEX jobs_by_org_page ON jobs (org_id, created_at DESC, id DESC);

ALTER TABLE api_keys ADD COLUMN org_id TEXT REFERENCES organizations(id) ON DELETE CASCADE;
UPDATE api_keys SET org_id = 'org_' || user_id;

-- NULL: the user's personal organization.
ALTER TABLE sessions ADD COLUMN org_id TEXT REFERENCES organizations(id) ON DELETE SET NULL;

ALTER TABLE organizations ADD COLUMN plan_id TEXT NOT NULL DEFAULT 'free';
