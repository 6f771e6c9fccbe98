-- Per-tenant rate limits (docs/operations.md). Each API key of the tenant
-- gets its own buckets with these rates; a tenant without a row uses the
-- server's defaults (--default_calls_per_second and friends).

CREATE TABLE tenant_rate_limits (
  tenant_id        bigint PRIMARY KEY REFERENCES tenants (tenant_id),
  calls_per_second double precision NOT NULL
                   CHECK (calls_per_second > 0 AND calls_per_second < 'Infinity'),
  call_burst       bigint NOT NULL CHECK (call_burst >= 1),
  -- Responses submitted per second, by any ingest RPC.
  rows_per_second  double precision NOT NULL
                   CHECK (rows_per_second > 0 AND rows_per_second < 'Infinity'),
  row_burst        bigint NOT NULL CHECK (row_burst >= 1),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
