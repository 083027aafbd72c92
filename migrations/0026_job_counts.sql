-- A job list's total is read from counts the database keeps as jobs come, change status and
-- go, instead of counting the list's rows on every page: the totals are exact, and a page of a
-- long list no longer reads ten pages' worth of index to say how many follow. One row per
-- organization, member and status; SQLite has one writer at a time, so its triggers add to the
-- counts directly, in the same transaction as the change, and a count that reaches zero goes.
CREATE TABLE job_counts (
    org_id  TEXT NOT NULL,
    user_id TEXT NOT NULL,
    status  TEXT NOT NULL,
    jobs    INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id, status)
) WITHOUT ROWID;

INSERT INTO job_counts (org_id, user_id, status, jobs)
SELECT org_id, user_id, status, COUNT(*) FROM jobs WHERE org_id IS NOT NULL
GROUP BY org_id, user_id, status;

CREATE TRIGGER job_counts_insert AFTER INSERT ON jobs WHEN NEW.org_id IS NOT NULL BEGIN
    INSERT INTO job_counts (org_id, user_id, status, jobs)
    VALUES (NEW.org_id, NEW.user_id, NEW.status, 1)
    ON CONFLICT (org_id, user_id, status) DO UPDATE SET jobs = jobs + 1;
END;

CREATE TRIGGER job_counts_delete AFTER DELETE ON jobs WHEN OLD.org_id IS NOT NULL BEGIN
    UPDATE job_counts SET jobs = jobs - 1
    WHERE org_id = OLD.org_id AND user_id = OLD.user_id AND status = OLD.status;
    DELETE FROM job_counts
    WHERE org_id = OLD.org_id AND user_id = OLD.user_id AND status = OLD.status AND jobs = 0;
END;

CREATE TRIGGER job_counts_update AFTER UPDATE OF org_id, user_id, status ON jobs
WHEN OLD.org_id IS NOT NEW.org_id OR OLD.user_id IS NOT NEW.user_id
     OR OLD.status IS NOT NEW.status
BEGIN
    UPDATE job_counts SET jobs = jobs - 1
    WHERE org_id = OLD.org_id AND user_id = OLD.user_id AND status = OLD.status;
    DELETE FROM job_counts
    WHERE org_id = OLD.org_id AND user_id = OLD.user_id AND status = OLD.status AND jobs = 0;
    INSERT INTO job_counts (org_id, user_id, status, jobs)
    SELECT NEW.org_id, NEW.user_id, NEW.status, 1 WHERE NEW.org_id IS NOT NULL
    ON CONFLICT (org_id, user_id, status) DO UPDATE SET jobs = jobs + 1;
END;
