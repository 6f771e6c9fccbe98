CREATE INDEX alert_events_by_tenant ON alert_events (tenant_id, event_seq);
ALTER TABLE alert_events DROP CONSTRAINT alert_events_pkey;
ALTER TABLE alert_events ADD PRIMARY KEY (event_seq);
ALTER TABLE alert_subscriptions DROP COLUMN attribute_required, DROP COLUMN attribute_choice_keys,
  DROP COLUMN attribute_choice_values, DROP COLUMN attribute_choice_count;
DROP TABLE alert_subscription_numbers;
ALTER TABLE alert_events ADD COLUMN event_key uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE;
CREATE INDEX alert_events_by_subscription ON alert_events (tenant_id, subscription_id, event_seq);
CREATE INDEX alert_events_due ON alert_events (next_attempt_at) WHERE state = 'pending';
DELETE FROM alert_events e WHERE NOT EXISTS (
  SELECT 1 FROM alert_subscriptions s
  WHERE s.tenant_id = e.tenant_id AND s.subscription_id = e.subscription_id);
ALTER TABLE alert_events ADD FOREIGN KEY (tenant_id, subscription_id)
  REFERENCES alert_subscriptions (tenant_id, subscription_id) ON DELETE CASCADE;
