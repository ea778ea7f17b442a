-- Archives imported into this organization (`votebase org import`): one row per archive
-- file, written in the import's transaction, so a second import of the same file is
-- recognised and changes nothing.
CREATE TABLE archive_imports (
    archive_sha256 TEXT PRIMARY KEY,
    source_org TEXT NOT NULL,
    source_backend TEXT NOT NULL,
    imported_at TEXT NOT NULL
);

-- Holds a row only inside an archive import's transaction (never committed): triggers
-- that derive rows from others (the exchange outbox, automatic suppressions) skip while
-- it does, since the archive already holds what they derived.
CREATE TABLE archive_restoring (since TEXT NOT NULL);
