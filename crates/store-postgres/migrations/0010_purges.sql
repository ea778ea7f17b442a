-- Purge watch: the roll of every snapshot (active and inactive voters per county, by one
-- dimension at a time), recorded by each import inside its transaction; and the
-- organization's thresholds of the purge test (defaults are not stored).
CREATE TABLE purge_rolls (
    snapshot_id BIGINT NOT NULL,
    county TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    dimension TEXT COLLATE "C" NOT NULL,
    value TEXT COLLATE "C" NOT NULL,
    voters BIGINT NOT NULL,
    PRIMARY KEY (snapshot_id, county, status, dimension, value)
);

CREATE TABLE purge_thresholds (
    name TEXT PRIMARY KEY,
    value DOUBLE PRECISION NOT NULL
);
