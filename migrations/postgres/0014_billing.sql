-- The twin of SQLite's 0018.
-- Paid plans through Stripe. A user's Stripe customer is created once and reused; each
-- subscription keeps the state of the newest Stripe event applied to it (`state_at`), so an
-- older event arriving late never overwrites a newer state; `plan_applied` is the plan billing
-- last gave the user from it, so an operator's later change is not fought. `billing_events`
-- holds each Stripe event id once: a replay is acknowledged and ignored.

CREATE TABLE billing_customers (
    user_id     TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE subscriptions (
    subscription_id      TEXT PRIMARY KEY,
    user_id              TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    customer_id          TEXT NOT NULL,
    plan_id              TEXT NOT NULL REFERENCES plans(id),
    status               TEXT NOT NULL,
    current_period_end   BIGINT,
    cancel_at_period_end BIGINT NOT NULL DEFAULT 0,
    past_due_since       BIGINT,
    -- When Stripe created the subscription: a user's newest one decides the plan.
    started_at           BIGINT NOT NULL,
    state_at             BIGINT NOT NULL,
    plan_applied         TEXT,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX subscriptions_by_user ON subscriptions (user_id, started_at);
CREATE INDEX subscriptions_lapsing ON subscriptions (status)
    WHERE status NOT IN ('active', 'trialing');

CREATE TABLE billing_events (
    event_id    TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX billing_events_by_time ON billing_events (received_at);
