-- The foreign key from responses to agents made every inserted response
-- take a KEY SHARE lock on its agent's row, which writes WAL and makes
-- concurrent ingest transactions of the same agent share multixacts. The
-- guarantee it gave holds without it: the statement that inserts responses
-- inserts their missing agents first (storage/response_store.cc), and agents
-- are never deleted (HR marks them inactive).
ALTER TABLE responses DROP CONSTRAINT responses_tenant_id_agent_id_fkey;
