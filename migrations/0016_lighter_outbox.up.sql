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

-- The attribute filter in a form ingest tests fast. Every inserted response
-- is tested against each subscription of its tenant; the generic test
-- (nested unnest subqueries) cost about 2 µs a row, a tenth of bulk
-- ingest. Keys allowed one value become one jsonb containment test
-- (attribute_required); only keys allowed several values are tested pair
-- by pair (attribute_choice_*), counting the keys that matched.
-- attribute_keys and attribute_values stay the subscription's definition.
ALTER TABLE alert_subscriptions
  ADD COLUMN attribute_required jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN attribute_choice_keys text[] NOT NULL DEFAULT '{}',
  ADD COLUMN attribute_choice_values text[] NOT NULL DEFAULT '{}',
  ADD COLUMN attribute_choice_count integer NOT NULL DEFAULT 0;
WITH allowed AS (
  SELECT s.tenant_id, s.subscription_id, p.key, array_agg(DISTINCT p.value) AS vals
  FROM alert_subscriptions s, unnest(s.attribute_keys, s.attribute_values) AS p(key, value)
  GROUP BY 1, 2, 3),
derived AS (
  SELECT tenant_id, subscription_id,
         coalesce(jsonb_object_agg(key, vals[1]) FILTER (WHERE cardinality(vals) = 1), '{}')
           AS required,
         coalesce(array_agg(key ORDER BY key) FILTER (WHERE cardinality(vals) > 1), '{}')
           AS choice_keys,
         count(*) FILTER (WHERE cardinality(vals) > 1) AS choice_count
  FROM allowed GROUP BY 1, 2),
choices AS (
  SELECT a.tenant_id, a.subscription_id, array_agg(a.key ORDER BY a.key, v) AS keys,
         array_agg(v ORDER BY a.key, v) AS vals
  FROM allowed a, unnest(a.vals) AS v
  WHERE cardinality(a.vals) > 1 GROUP BY 1, 2)
UPDATE alert_subscriptions s
SET attribute_required = d.required,
    attribute_choice_keys = coalesce(c.keys, '{}'),
    attribute_choice_values = coalesce(c.vals, '{}'),
    attribute_choice_count = d.choice_count
FROM derived d LEFT JOIN choices c USING (tenant_id, subscription_id)
WHERE s.tenant_id = d.tenant_id AND s.subscription_id = d.subscription_id;

-- Keyed by tenant first, the primary key serves ListDeliveries too, and
-- the separate index on (tenant_id, event_seq) goes: one index fewer per
-- event.
ALTER TABLE alert_events DROP CONSTRAINT alert_events_pkey;
ALTER TABLE alert_events ADD PRIMARY KEY (tenant_id, event_seq);
DROP INDEX alert_events_by_tenant;
