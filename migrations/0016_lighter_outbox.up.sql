-- A lighter outbox: ingest writes an alert event for every response that
-- matches a subscription, in the same statement, so every index and
-- constraint on alert_events is paid at ingest. The alert benchmark
-- measured 15-18% less bulk ingest with 0014/0015's (docs/benchmarks.md).
--
-- The foreign key made every event insert lock its subscription row
-- (FOR KEY SHARE) from every ingest transaction at once; subscriptions now
-- delete their events themselves (storage/alert_store.cc), and the
-- delivery worker deletes events of a subscription deleted concurrently.
ALTER TABLE alert_events DROP CONSTRAINT alert_events_tenant_id_subscription_id_fkey;
-- Neither is read any more: the claim reads alert_events_due_by_subscription,
-- ListDeliveries alert_events_by_tenant.
DROP INDEX alert_events_due, alert_events_by_subscription;

-- Without the foreign key, an ingest transaction that read a subscription
-- just before it was deleted can still write an event for it. Such an
-- event is never claimed (claims join the subscription) and is pruned; and
-- so that it can never reach a later subscription, numbers are not reused:
-- each tenant's last number is kept here.
CREATE TABLE alert_subscription_numbers (
  tenant_id bigint PRIMARY KEY REFERENCES tenants (tenant_id),
  last_id   bigint NOT NULL
);
INSERT INTO alert_subscription_numbers (tenant_id, last_id)
SELECT tenant_id, max(subscription_id) FROM alert_subscriptions GROUP BY tenant_id;
GRANT SELECT, INSERT, UPDATE, DELETE ON alert_subscription_numbers TO tnps_app;

-- Receivers deduplicate by an event id; it is now the event's number
-- encrypted under a key of the tenant's own (services/common/
-- tenant_tokens.h, PublicEventId), so the random key and its unique index
-- go. Events pending across this upgrade are delivered with the new id.
ALTER TABLE alert_events DROP COLUMN event_key;
