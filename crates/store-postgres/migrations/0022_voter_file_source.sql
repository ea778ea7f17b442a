-- A voter file shared read-only (votebase_store::voter_file): the organization whose
-- snapshots, voters, changes, vote history and purge rolls this one reads instead of its
-- own tables of those names, which then stay empty. One row at most; read when the store
-- connects (a schema of views over the source's tables goes first on search_path).
CREATE TABLE voter_file_source (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    source TEXT NOT NULL,
    since TIMESTAMPTZ NOT NULL
);
