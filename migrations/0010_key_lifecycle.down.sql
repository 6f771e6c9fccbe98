REVOKE UPDATE (last_used_at) ON api_keys FROM tnps_app;
ALTER TABLE api_keys DROP COLUMN expires_at, DROP COLUMN last_used_at;
