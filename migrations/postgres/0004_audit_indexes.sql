-- The twin of SQLite's 0008: the audit and security lists' filters served by indexes.
CREATE INDEX audit_log_by_action ON audit_log (action, id);
CREATE INDEX audit_log_by_target ON audit_log (target_id, id);
CREATE INDEX security_events_by_kind ON security_events (kind, id);
