-- Mail waiting to be delivered. A request that decides to send mail writes it here in its own
-- transaction; a background loop delivers it with retries. A slow or failing mail server never
-- fails or slows a request, and a restart loses nothing. Delivered mail is deleted (it may
-- carry sign-in links).

CREATE TABLE mail_queue (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- NULL once delivery was given up.
    next_attempt_at INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX mail_queue_due ON mail_queue (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
