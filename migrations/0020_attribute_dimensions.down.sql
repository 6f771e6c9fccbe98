DROP TABLE attribute_day_rollups;
DROP TABLE attribute_rollups;
DROP TABLE attribute_changes;
DROP TABLE attribute_dimensions;
