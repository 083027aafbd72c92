-- A job list's total is read from counts the database keeps as jobs come, change status and
-- go, instead of counting the list's rows on every page: the totals are exact, and a page of a
-- long list no longer reads ten pages' worth of index to say how many follow. One row per
-- organization, member and status.
--
-- Many transactions change jobs at once here (agents claiming from several replicas), and a
-- count row updated by each would make them wait on one another's commits, or deadlock when two
-- move jobs between the same statuses in opposite directions. So a change only appends a row of
-- +1/-1 to job_count_changes, which takes no lock another writer waits for; a total adds the
-- pending changes to the counts, and a sweep folds them in (`fold_job_counts`).
-- Replicas of the previous release may still be writing jobs while this runs: held until the
-- migration commits, the lock keeps any job from changing between the first count and the
-- triggers that count from then on.
LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE job_counts (
    org_id  TEXT NOT NULL,
    user_id TEXT NOT NULL,
    status  TEXT NOT NULL,
    jobs    BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id, status)
);

CREATE TABLE job_count_changes (
    org_id  TEXT NOT NULL,
    user_id TEXT NOT NULL,
    status  TEXT NOT NULL,
    change  INTEGER NOT NULL
);
CREATE INDEX job_count_changes_by_key ON job_count_changes (org_id, user_id, status);

INSERT INTO job_counts (org_id, user_id, status, jobs)
SELECT org_id, user_id, status, COUNT(*) FROM jobs GROUP BY org_id, user_id, status;

CREATE FUNCTION job_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO job_count_changes VALUES (OLD.org_id, OLD.user_id, OLD.status, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO job_count_changes VALUES (NEW.org_id, NEW.user_id, NEW.status, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER job_counts_insert_delete AFTER INSERT OR DELETE ON jobs
    FOR EACH ROW EXECUTE FUNCTION job_count_change();
CREATE TRIGGER job_counts_update AFTER UPDATE OF org_id, user_id, status ON jobs
    FOR EACH ROW
    WHEN (OLD.org_id IS DISTINCT FROM NEW.org_id OR OLD.user_id IS DISTINCT FROM NEW.user_id
          OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION job_count_change();
