-- Ids the API returns reveal nothing about other tenants' volume.
--
-- Programmes and cohorts are numbered per tenant from now on (the next is
-- one more than the tenant's largest, under a per-tenant lock), so a
-- tenant's first programme is 1 whatever others have. Existing ids stay.
--
-- Responses keep one sequence across tenants (a per-tenant counter would
-- serialize each tenant's ingest); the API shows each tenant a keyed
-- digest of the id instead, under a random key of the tenant's own.
ALTER TABLE training_programs ALTER COLUMN program_id DROP IDENTITY;
ALTER TABLE training_cohorts ALTER COLUMN cohort_id DROP IDENTITY;

-- 16 random bytes per tenant (gen_random_uuid draws from the operating
-- system's strong random source; 122 of its 128 bits are random).
ALTER TABLE tenants ADD COLUMN id_key bytea NOT NULL
  DEFAULT decode(replace(gen_random_uuid()::text, '-', ''), 'hex');
