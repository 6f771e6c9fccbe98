-- API keys can expire (a rotated key stays valid for a grace period, then
-- expires), and record when they were last used, to the hour, so that
-- `tnpsctl key list` shows keys nobody uses any more.
ALTER TABLE api_keys
  ADD COLUMN expires_at timestamptz,
  ADD COLUMN last_used_at timestamptz;

-- The server records use; it changes nothing else of a key.
GRANT UPDATE (last_used_at) ON api_keys TO tnps_app;
