-- Who runs each cloud job: the operator's agents (claimed as before) or Seedr.cc, driven by the
-- control plane. A job stays with the provider it was created for. `seedr_transfers` is what a
-- Seedr job has reached there, so a restart resumes from Seedr's state.

ALTER TABLE jobs ADD COLUMN provider TEXT NOT NULL DEFAULT 'agents'
    CHECK (provider IN ('agents', 'seedr'));
CREATE INDEX jobs_on_providers ON jobs (provider, status) WHERE provider <> 'agents';

CREATE TABLE seedr_transfers (
    -- No foreign key: a deleted job's transfer is still removed from Seedr, then here.
    job_id      TEXT PRIMARY KEY,
    -- Seedr's user_torrent_id and title; then the folder the transfer became.
    transfer_id INTEGER NOT NULL,
    title       TEXT NOT NULL,
    folder_id   INTEGER,
    added_at    INTEGER NOT NULL
);
