-- Alerts: subscriptions to responses that someone should act on (a
-- detractor, most often), and the outbox of their events.
--
-- An event is written in the same statement as the change that raises it
-- (the response's insert or amendment; storage/alert_store.h,
-- RaiseAlertEventsCte), so that an acknowledged response that matches a
-- subscription cannot lose its alert if the server dies right after the
-- ack; servers deliver the pending ones.

-- Numbered per tenant under the tenant's lock, as programmes are.
CREATE TABLE alert_subscriptions (
  tenant_id            bigint NOT NULL REFERENCES tenants (tenant_id),
  subscription_id      bigint NOT NULL,
  name                 text NOT NULL,
  -- 'response.created', 'response.updated'.
  event_types          text[] NOT NULL CHECK (cardinality(event_types) > 0),
  min_score            smallint NOT NULL DEFAULT 0 CHECK (min_score BETWEEN 0 AND 10),
  max_score            smallint NOT NULL DEFAULT 10 CHECK (max_score BETWEEN 0 AND 10),
  -- Empty: any.
  agent_ids            text[] NOT NULL DEFAULT '{}',
  team_ids             text[] NOT NULL DEFAULT '{}',
  channels             smallint[] NOT NULL DEFAULT '{}',
  -- Pairs (attribute_keys[i], attribute_values[i]): a response matches
  -- when, for every key listed, its attribute has one of the key's values.
  attribute_keys       text[] NOT NULL DEFAULT '{}',
  attribute_values     text[] NOT NULL DEFAULT '{}',
  url                  text NOT NULL,
  include_customer_ref boolean NOT NULL DEFAULT false,
  -- The shared secrets requests are signed with: the current one, and the
  -- previous one until previous_secret_until (rotation with an overlap).
  secret               text NOT NULL,
  previous_secret      text,
  previous_secret_until timestamptz,
  paused               boolean NOT NULL DEFAULT false,
  created_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, subscription_id),
  UNIQUE (tenant_id, name),
  CHECK (min_score <= max_score),
  CHECK (cardinality(attribute_keys) = cardinality(attribute_values))
);

-- One row per event and subscription. event_key is what receivers
-- deduplicate by: random, the same on every attempt.
CREATE TABLE alert_events (
  event_seq       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_key       uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
  tenant_id       bigint NOT NULL,
  subscription_id bigint NOT NULL,
  event_type      text NOT NULL CHECK (event_type IN ('response.created', 'response.updated')),
  response_id     bigint NOT NULL,
  occurred_at     timestamptz NOT NULL DEFAULT now(),
  -- pending: to deliver (at next_attempt_at); delivered; dead: retries ran
  -- out; gone: the response was erased before delivery.
  state           text NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'delivered', 'dead', 'gone')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_attempt_at timestamptz,
  -- The receiver's HTTP status, or the transport error, of the last attempt.
  last_result     text NOT NULL DEFAULT '',
  delivered_at    timestamptz,
  FOREIGN KEY (tenant_id, subscription_id)
    REFERENCES alert_subscriptions (tenant_id, subscription_id) ON DELETE CASCADE
);
CREATE INDEX alert_events_due ON alert_events (next_attempt_at) WHERE state = 'pending';
CREATE INDEX alert_events_by_subscription ON alert_events (tenant_id, subscription_id, event_seq);

GRANT SELECT, INSERT, UPDATE, DELETE ON alert_subscriptions TO tnps_app;
GRANT SELECT, INSERT, DELETE ON alert_events TO tnps_app;
GRANT UPDATE (state, attempts, next_attempt_at, last_attempt_at, last_result, delivered_at)
  ON alert_events TO tnps_app;
