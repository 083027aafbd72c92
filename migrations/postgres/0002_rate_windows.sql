-- Rate-limit windows shared by every replica of a cluster; the twin of SQLite's 0006.
CREATE TABLE rate_windows (
    key        TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    count      BIGINT NOT NULL
);
CREATE INDEX rate_windows_by_start ON rate_windows (started_at);
