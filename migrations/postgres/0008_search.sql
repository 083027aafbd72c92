-- The twin of SQLite's 0012: the operators' global search over users (email, id), jobs (name,
-- info hash, id), agents (name, region, id) and audit entries (action, actor, target, reason,
-- ticket), kept current by triggers. Text is indexed lowercased with every run of characters that
-- are not letters or digits turned into a space (as SQLite's tokenizer splits), so both backends
-- find the same rows for the same words.

CREATE TABLE search_index (
    kind   TEXT NOT NULL,
    ref_id TEXT NOT NULL,
    title  TEXT NOT NULL,
    detail TEXT NOT NULL,
    tsv    tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', regexp_replace(lower(title || ' ' || detail), '[^[:alnum:]]+', ' ', 'g'))
    ) STORED,
    PRIMARY KEY (kind, ref_id)
);
CREATE INDEX search_index_words ON search_index USING GIN (tsv);

CREATE FUNCTION search_put(doc_kind TEXT, doc_id TEXT, doc_title TEXT, doc_detail TEXT)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO search_index (kind, ref_id, title, detail) VALUES (doc_kind, doc_id, doc_title, doc_detail)
    ON CONFLICT (kind, ref_id) DO UPDATE SET title = excluded.title, detail = excluded.detail;
$$;

CREATE FUNCTION search_users_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_index WHERE kind = 'user' AND ref_id = OLD.id;
        RETURN OLD;
    END IF;
    PERFORM search_put('user', NEW.id, NEW.email, NEW.id);
    RETURN NEW;
END $$;
CREATE TRIGGER search_users AFTER INSERT OR DELETE OR UPDATE OF email ON users
    FOR EACH ROW EXECUTE FUNCTION search_users_sync();

CREATE FUNCTION search_jobs_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_index WHERE kind = 'job' AND ref_id = OLD.id;
        RETURN OLD;
    END IF;
    PERFORM search_put('job', NEW.id, NEW.name, NEW.info_hash || ' ' || NEW.id);
    RETURN NEW;
END $$;
CREATE TRIGGER search_jobs AFTER INSERT OR DELETE OR UPDATE OF name ON jobs
    FOR EACH ROW EXECUTE FUNCTION search_jobs_sync();

CREATE FUNCTION search_agents_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_index WHERE kind = 'agent' AND ref_id = OLD.id;
        RETURN OLD;
    END IF;
    PERFORM search_put('agent', NEW.id, NEW.name, NEW.region || ' ' || NEW.id);
    RETURN NEW;
END $$;
CREATE TRIGGER search_agents AFTER INSERT OR DELETE OR UPDATE OF name, region ON agents
    FOR EACH ROW EXECUTE FUNCTION search_agents_sync();

CREATE FUNCTION search_audit_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_index WHERE kind = 'audit' AND ref_id = OLD.id::text;
        RETURN OLD;
    END IF;
    PERFORM search_put('audit', NEW.id::text, NEW.action,
        NEW.actor_email || ' ' || NEW.target_type || ' ' || NEW.target_id || ' '
        || COALESCE(NEW.reason, '') || ' ' || COALESCE(NEW.ticket_id, ''));
    RETURN NEW;
END $$;
CREATE TRIGGER search_audit AFTER INSERT OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION search_audit_sync();

-- What exists already.
INSERT INTO search_index (kind, ref_id, title, detail) SELECT 'user', id, email, id FROM users;
INSERT INTO search_index (kind, ref_id, title, detail)
    SELECT 'job', id, name, info_hash || ' ' || id FROM jobs;
INSERT INTO search_index (kind, ref_id, title, detail)
    SELECT 'agent', id, name, region || ' ' || id FROM agents;
INSERT INTO search_index (kind, ref_id, title, detail)
    SELECT 'audit', id::text, action,
           actor_email || ' ' || target_type || ' ' || target_id || ' '
           || COALESCE(reason, '') || ' ' || COALESCE(ticket_id, '')
    FROM audit_log;
