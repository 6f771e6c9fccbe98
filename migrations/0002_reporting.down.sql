DROP SCHEMA reporting CASCADE;
DROP TABLE reporting_roles;
