-- A voter file shared read-only (votebase_store::voter_file): the organization whose
-- snapshots, voters, changes, vote history and purge rolls this one reads instead of its
-- own tables of those names, which then stay empty. One row at most; read when the
-- database is opened (the source's file is attached read-only and shadowed by views).
CREATE TABLE voter_file_source (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    source TEXT NOT NULL,
    since TEXT NOT NULL
);
