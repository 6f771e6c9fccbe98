-- The audit trail: one event per administrative action (keys, tenants, BI
-- logins, rate limits, roster, programmes, cohorts, enrolments,
-- completions), written in the same transaction as the action by
-- storage/audit_log.cc, so that an action and its event commit together.
--
-- Events form a hash chain: each event's hash covers the previous event's
-- hash and its own fields, so `tnpsctl audit verify` finds an event that
-- was edited or removed (anyone able to rewrite the table could recompute
-- the chain from there on: keep the head it prints somewhere else, see
-- docs/security.md). tnps_app may insert and read events, never change
-- them; a trigger refuses updates and deletes from anyone who has not
-- disabled it.

CREATE TABLE audit_events (
  seq         bigint PRIMARY KEY,
  occurred_at timestamptz NOT NULL,
  -- No foreign key: events outlive the tenant they concern.
  tenant_id   bigint,
  -- "key:<key id>" for the API, "tnpsctl:<OS user>" for the command line.
  actor       text NOT NULL,
  action      text NOT NULL,
  target      text NOT NULL,
  summary     jsonb NOT NULL,
  prev_hash   bytea NOT NULL CHECK (length(prev_hash) = 32),
  hash        bytea NOT NULL CHECK (length(hash) = 32)
);
CREATE INDEX audit_events_by_tenant ON audit_events (tenant_id, occurred_at);

-- The text an event's hash covers, fields separated by U+001F. tnpsctl's
-- verification builds the same text (storage/audit_log.cc).
CREATE FUNCTION audit_event_text(e audit_events) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
  SELECT convert_to(concat_ws(chr(31), e.seq::text,
                              ((extract(epoch FROM e.occurred_at) * 1000000)::bigint)::text,
                              coalesce(e.tenant_id::text, ''), e.actor, e.action, e.target,
                              e.summary::text), 'UTF8')
$$;

-- Numbers the event and links it to the chain, under a lock held until
-- the transaction ends, so that concurrent appends form one chain.
CREATE FUNCTION audit_events_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  last audit_events;
BEGIN
  PERFORM pg_advisory_xact_lock(7623409583423);
  SELECT * INTO last FROM audit_events ORDER BY seq DESC LIMIT 1;
  NEW.seq := coalesce(last.seq, 0) + 1;
  NEW.occurred_at := clock_timestamp();
  NEW.prev_hash := coalesce(last.hash, decode(repeat('00', 32), 'hex'));
  NEW.hash := sha256(NEW.prev_hash || audit_event_text(NEW));
  RETURN NEW;
END
$$;
CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_chain();

CREATE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = '42501';
END
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

GRANT SELECT, INSERT ON audit_events TO tnps_app;
