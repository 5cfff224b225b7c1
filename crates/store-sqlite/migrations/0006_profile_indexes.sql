-- Moved: the profile indexes of the domain's tables are the domain's own migration now.
-- Kept as a version, so that files that applied it stay current.
SELECT 1;
