-- Indexes for the operator's audit and security lists filtered by what they show: each filter
-- then reads its own newest rows first instead of walking the whole log.
CREATE INDEX audit_log_by_action ON audit_log (action, id);
CREATE INDEX audit_log_by_target ON audit_log (target_id, id);
CREATE INDEX security_events_by_kind ON security_events (kind, id);
