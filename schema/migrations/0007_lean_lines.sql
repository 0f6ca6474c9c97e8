-- 0007_lean_lines: fewer rows and B-trees per published line (ingest speed, issue 4).
--
-- 1. Child tables that no SQL reads are dropped. Requirements, required certifications,
--    attributes, certifications and additional classifications live in the line's canonical
--    `body` (which the API returns and the live match index decodes); nothing queried them.
--    Kept: service_areas (the `region` filter of GET /v1/supply reads it) and project_demands
--    (GET /v1/projects/{id} joins it).
-- 2. Indexes that no query uses are dropped: the listing filters on classification and region
--    are case-insensitive LIKE patterns, which SQLite cannot answer from these BINARY indexes,
--    and service areas are only looked up by line (their primary key).
-- 3. line_history now holds every revision of a line EXCEPT its current one, which is the line
--    row itself: a revision is copied to history when it is replaced (a changed publication,
--    PATCH, withdrawal), not when it is written. Revision 1 of a line that never changed is no
--    longer stored twice. Rows of the old scheme that duplicate a line's current revision are
--    removed here (otherwise the next replacement would collide with them).

DROP TABLE requirements;
DROP TABLE required_certifications;
DROP TABLE attributes;
DROP TABLE certifications;
DROP TABLE line_classifications;

DROP INDEX service_areas_region;
DROP INDEX demand_lines_class;
DROP INDEX demand_lines_region;
DROP INDEX supply_lines_class;

DELETE FROM line_history
WHERE (entity = 'demand' AND (line_id, revision) IN (SELECT id, revision FROM demand_lines))
   OR (entity = 'supply' AND (line_id, revision) IN (SELECT id, revision FROM supply_lines))
   OR (entity = 'project' AND (line_id, revision) IN (SELECT id, revision FROM projects));
