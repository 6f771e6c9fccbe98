-- Alert delivery: what the delivery worker needs beside the outbox of
-- 0014.
--
-- An event is claimed by setting next_attempt_at to the end of a lease
-- (longer than any attempt can take), so that no transaction stays open
-- across an HTTP request and an event whose server died mid-attempt is
-- tried again once the lease runs out: at least once, never lost.

-- Retries stop 24 hours (by default) after the first attempt, not after
-- the event: a subscription paused for longer still gets its events.
ALTER TABLE alert_events ADD COLUMN first_attempt_at timestamptz;

-- The claim takes each subscription's oldest due event, so that one
-- subscription's backlog (a receiver that is down) cannot starve the
-- others.
CREATE INDEX alert_events_due_by_subscription
  ON alert_events (tenant_id, subscription_id, next_attempt_at) WHERE state = 'pending';
-- ListDeliveries across a tenant's subscriptions, newest first.
CREATE INDEX alert_events_by_tenant ON alert_events (tenant_id, event_seq);
-- Pruning finished events.
CREATE INDEX alert_events_finished ON alert_events (occurred_at) WHERE state <> 'pending';

GRANT UPDATE (first_attempt_at) ON alert_events TO tnps_app;
