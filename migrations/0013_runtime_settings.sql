-- Runtime settings: every change operators make while the service runs is a numbered version.
-- `overrides` holds every setting changed at runtime as it stands after the version (a JSON
-- object, key → value); settings not in it follow the configuration file. `changes` lists what
-- this version changed, each with its old and new value. Versions are numbered 1, 2, … with no
-- gap: a change made against version n writes n + 1, so two operators changing at once cannot
-- both win.

CREATE TABLE settings_versions (
    version     INTEGER PRIMARY KEY CHECK (version > 0),
    overrides   TEXT NOT NULL,
    changes     TEXT NOT NULL,
    actor_id    TEXT REFERENCES users(id) ON DELETE SET NULL,
    actor_email TEXT NOT NULL,
    reason      TEXT NOT NULL,
    ticket_id   TEXT NOT NULL,
    rollback_of INTEGER,
    created_at  INTEGER NOT NULL
);
