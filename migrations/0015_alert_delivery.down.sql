DROP INDEX alert_events_finished, alert_events_by_tenant, alert_events_due_by_subscription;
ALTER TABLE alert_events DROP COLUMN first_attempt_at;
