DROP TABLE attribute_days;
DROP TABLE attribute_team_days;
DROP TABLE attribute_rollups;
DROP TABLE attribute_changes;
DROP TABLE attribute_dimensions;
