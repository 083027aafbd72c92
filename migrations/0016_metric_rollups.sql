-- What each replica measured, added up in memory and written once per roll-up tick (never per
-- request): one row per replica and minute (kept 48 hours) and per replica and hour (kept 90
-- days). Counts add; levels are kept as a sum over `samples` readings so any tick length averages
-- right. The latency histogram is a comma-separated count per bucket of the /metrics histogram.

CREATE TABLE metric_rollups (
    resolution           TEXT NOT NULL CHECK (resolution IN ('minute', 'hour')),
    at                   INTEGER NOT NULL,
    replica              TEXT NOT NULL,
    requests             INTEGER NOT NULL DEFAULT 0,
    client_errors        INTEGER NOT NULL DEFAULT 0,
    server_errors        INTEGER NOT NULL DEFAULT 0,
    latency_buckets      TEXT NOT NULL DEFAULT '',
    jobs_completed       INTEGER NOT NULL DEFAULT 0,
    jobs_failed          INTEGER NOT NULL DEFAULT 0,
    agent_bytes_in       INTEGER NOT NULL DEFAULT 0,
    agent_bytes_out      INTEGER NOT NULL DEFAULT 0,
    samples              INTEGER NOT NULL DEFAULT 0,
    queue_depth_sum      INTEGER NOT NULL DEFAULT 0,
    running_jobs_sum     INTEGER NOT NULL DEFAULT 0,
    fleet_capacity_sum   INTEGER NOT NULL DEFAULT 0,
    fleet_active_sum     INTEGER NOT NULL DEFAULT 0,
    dead_letters_sum     INTEGER NOT NULL DEFAULT 0,
    storage_bytes_sum    INTEGER NOT NULL DEFAULT 0,
    live_subscribers_sum INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (resolution, at, replica)
);
