-- Billing attaches to an organization: its Stripe customer and subscriptions set the
-- organization's plan (a personal organization's is its user's). `subscriptions.user_id` stays
-- who bought it. Everything bought so far was bought by users for themselves, so it moves to
-- their personal organizations.

CREATE TABLE org_billing_customers (
    org_id      TEXT PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);
INSERT INTO org_billing_customers (org_id, customer_id, created_at)
    SELECT 'org_' || user_id, customer_id, created_at FROM billing_customers;
DROP TABLE billing_customers;

ALTER TABLE subscriptions ADD COLUMN org_id TEXT REFERENCES organizations(id) ON DELETE CASCADE;
UPDATE subscriptions SET org_id = 'org_' || user_id;
CREATE INDEX subscriptions_by_org ON subscriptions (org_id, started_at);
