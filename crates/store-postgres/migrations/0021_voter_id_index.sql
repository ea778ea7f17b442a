-- Schema version 21 of both backends: SQLite adds a slim index on the voter id
-- (`voters_id`) for ballot-file matching, because its `voters` table is a WITHOUT ROWID
-- B-tree holding whole rows. Here `voters` is a heap and its primary key `voters_pkey`
-- is already that slim B-tree of ids, so there is nothing to add; the version is kept so
-- that both backends count the same schema versions (organization archives carry it).
SELECT 1;
