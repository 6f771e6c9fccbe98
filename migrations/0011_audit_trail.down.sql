DROP FUNCTION audit_event_text(audit_events) CASCADE;
DROP TABLE audit_events;
DROP FUNCTION audit_events_chain();
DROP FUNCTION audit_events_append_only();
