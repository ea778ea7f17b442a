-- The platform's registry of organizations (the file _platform.sqlite3 of the data
-- directory; each organization's data stays in <name>.sqlite3). Idempotent.
CREATE TABLE IF NOT EXISTS organizations (
    name TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
