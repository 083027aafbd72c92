-- tseeder-sync's own state beside the desktop core's sync records: the categories clients
-- created, and what each cloud job carries here (category, chosen folder). Never edited once
-- landed: later changes get a new numbered file.

CREATE TABLE categories (
    name TEXT PRIMARY KEY,
    -- Absolute, inside the sync folder; NULL is the folder named after the category.
    save_path TEXT
) STRICT;

CREATE TABLE torrents (
    job_id TEXT PRIMARY KEY,
    info_hash TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT '',
    -- Chosen at add time, inside the sync folder; NULL follows the category.
    save_path TEXT,
    added_on INTEGER NOT NULL
) STRICT;

CREATE INDEX torrents_by_hash ON torrents (info_hash);
