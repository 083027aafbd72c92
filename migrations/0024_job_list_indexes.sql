-- Two job lists had no index that keys them, so their pages walked an organization's whole
-- list to keep the rows they wanted:
-- - a member who sees only their own jobs in a team lists them by organization and user: the
--   planner walked the organization's page index and read every row to keep this member's (and
--   the page's total read table rows, not an index);
-- - an owner's or admin's list filtered by status (failed, say) kept one row in thousands.
CREATE INDEX jobs_by_org_member_page ON jobs (org_id, user_id, created_at DESC, id DESC);
CREATE INDEX jobs_by_org_status_page ON jobs (org_id, status, created_at DESC, id DESC);
