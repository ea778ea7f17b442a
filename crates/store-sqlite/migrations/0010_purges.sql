-- Purge watch: the roll of every snapshot (active and inactive voters per county, by one
-- dimension at a time), recorded by each import inside its transaction; and the
-- organization's thresholds of the purge test (defaults are not stored).
CREATE TABLE purge_rolls (
    snapshot_id INTEGER NOT NULL,
    county TEXT NOT NULL,
    status TEXT NOT NULL,
    dimension TEXT NOT NULL,
    value TEXT NOT NULL,
    voters INTEGER NOT NULL,
    PRIMARY KEY (snapshot_id, county, status, dimension, value)
) WITHOUT ROWID;

CREATE TABLE purge_thresholds (
    name TEXT PRIMARY KEY,
    value REAL NOT NULL
);
