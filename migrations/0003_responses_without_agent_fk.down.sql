ALTER TABLE responses ADD CONSTRAINT responses_tenant_id_agent_id_fkey
  FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, agent_id);
