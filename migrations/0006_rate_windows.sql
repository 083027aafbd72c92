-- Rate-limit windows shared by every replica of a cluster (`cluster.enabled`); one process
-- alone counts in memory instead. One row per limited key: when its window started and how
-- many requests it has counted.
CREATE TABLE rate_windows (
    key        TEXT PRIMARY KEY,
    started_at INTEGER NOT NULL,
    count      INTEGER NOT NULL
);
CREATE INDEX rate_windows_by_start ON rate_windows (started_at);
