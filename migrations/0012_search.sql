-- The operators' global search: one full-text index (FTS5) over users (email, id), jobs (name,
-- info hash, id), agents (name, region, id) and audit entries (action, actor, target, reason,
-- ticket), kept current by triggers so no code path can forget it. The tokenizer splits at every
-- character that is not a letter or digit, as PostgreSQL's twin does, so `alice@example.org`,
-- `user.suspend` and a dashed id are found by any of their parts.
-- `search_refs` gives every indexed row a stable integer id (FTS5 rows are found by it).

CREATE TABLE search_refs (
    doc_id INTEGER PRIMARY KEY,
    kind   TEXT NOT NULL,
    ref_id TEXT NOT NULL,
    UNIQUE (kind, ref_id)
);

CREATE VIRTUAL TABLE search_index USING fts5(title, detail, tokenize = 'unicode61 remove_diacritics 2');

CREATE TRIGGER search_users_insert AFTER INSERT ON users BEGIN
    INSERT INTO search_refs (kind, ref_id) VALUES ('user', NEW.id);
    INSERT INTO search_index (rowid, title, detail) VALUES (last_insert_rowid(), NEW.email, NEW.id);
END;
CREATE TRIGGER search_users_update AFTER UPDATE OF email ON users BEGIN
    UPDATE search_index SET title = NEW.email
    WHERE rowid = (SELECT doc_id FROM search_refs WHERE kind = 'user' AND ref_id = NEW.id);
END;
CREATE TRIGGER search_users_delete AFTER DELETE ON users BEGIN
    DELETE FROM search_index
    WHERE rowid = (SELECT doc_id FROM search_refs WHERE kind = 'user' AND ref_id = OLD.id);
    DELETE FROM search_refs WHERE kind = 'user' AND ref_id = OLD.id;
END;

CREATE TRIGGER search_jobs_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO search_refs (kind, ref_id) VALUES ('job', NEW.id);
    INSERT INTO search_index (rowid, title, detail)
    VALUES (last_insert_rowid(), NEW.name, NEW.info_hash || ' ' || NEW.id);
END;
CREATE TRIGGER search_jobs_update AFTER UPDATE OF name ON jobs BEGIN
    UPDATE search_index SET title = NEW.name
    WHERE rowid = (SELECT doc_id FROM search_refs WHERE kind = 'job' AND ref_id = NEW.id);
END;
CREATE TRIGGER search_jobs_delete AFTER DELETE ON jobs BEGIN
    DELETE FROM search_index
    WHERE rowid = (SELECT doc_id FROM search_refs WHERE kind = 'job' AND ref_id = OLD.id);
    DELETE FROM search_refs WHERE kind = 'job' AND ref_id = OLD.id;
END;

CREATE TRIGGER search_agents_insert AFTER INSERT ON agents BEGIN
    INSERT INTO search_refs (kind, ref_id) VALUES ('agent', NEW.id);
    INSERT INTO search_index (rowid, title, detail)
    VALUES (last_insert_rowid(), NEW.name, NEW.region || ' ' || NEW.id);
END;
CREATE TRIGGER search_agents_update AFTER UPDATE OF name, region ON agents BEGIN
    UPDATE search_index SET title = NEW.name, detail = NEW.region || ' ' || NEW.id
    WHERE rowid = (SELECT doc_id FROM search_refs WHERE kind = 'agent' AND ref_id = NEW.id);
END;
CREATE TRIGGER search_agents_delete AFTER DELETE ON agents BEGIN
    DELETE FROM search_index
    WHERE rowid = (SELECT doc_id FROM search_refs WHERE kind = 'agent' AND ref_id = OLD.id);
    DELETE FROM search_refs WHERE kind = 'agent' AND ref_id = OLD.id;
END;

CREATE TRIGGER search_audit_insert AFTER INSERT ON audit_log BEGIN
    INSERT INTO search_refs (kind, ref_id) VALUES ('audit', CAST(NEW.id AS TEXT));
    INSERT INTO search_index (rowid, title, detail)
    VALUES (last_insert_rowid(), NEW.action,
            NEW.actor_email || ' ' || NEW.target_type || ' ' || NEW.target_id || ' '
            || COALESCE(NEW.reason, '') || ' ' || COALESCE(NEW.ticket_id, ''));
END;
CREATE TRIGGER search_audit_delete AFTER DELETE ON audit_log BEGIN
    DELETE FROM search_index
    WHERE rowid = (SELECT doc_id FROM search_refs WHERE kind = 'audit' AND ref_id = CAST(OLD.id AS TEXT));
    DELETE FROM search_refs WHERE kind = 'audit' AND ref_id = CAST(OLD.id AS TEXT);
END;

-- What exists already.
INSERT INTO search_refs (kind, ref_id) SELECT 'user', id FROM users;
INSERT INTO search_refs (kind, ref_id) SELECT 'job', id FROM jobs;
INSERT INTO search_refs (kind, ref_id) SELECT 'agent', id FROM agents;
INSERT INTO search_refs (kind, ref_id) SELECT 'audit', CAST(id AS TEXT) FROM audit_log;
INSERT INTO search_index (rowid, title, detail)
    SELECT r.doc_id, u.email, u.id FROM search_refs r JOIN users u ON r.kind = 'user' AND u.id = r.ref_id;
INSERT INTO search_index (rowid, title, detail)
    SELECT r.doc_id, j.name, j.info_hash || ' ' || j.id
    FROM search_refs r JOIN jobs j ON r.kind = 'job' AND j.id = r.ref_id;
INSERT INTO search_index (rowid, title, detail)
    SELECT r.doc_id, a.name, a.region || ' ' || a.id
    FROM search_refs r JOIN agents a ON r.kind = 'agent' AND a.id = r.ref_id;
INSERT INTO search_index (rowid, title, detail)
    SELECT r.doc_id, l.action,
           l.actor_email || ' ' || l.target_type || ' ' || l.target_id || ' '
           || COALESCE(l.reason, '') || ' ' || COALESCE(l.ticket_id, '')
    FROM search_refs r JOIN audit_log l ON r.kind = 'audit' AND CAST(l.id AS TEXT) = r.ref_id;
