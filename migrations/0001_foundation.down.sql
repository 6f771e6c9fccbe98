DROP TABLE daily_rollups;
DROP TABLE responses;
DROP TABLE agents;
DROP TABLE api_keys;
DROP TABLE tenants;
