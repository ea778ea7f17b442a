-- Election-night results: elections, contests, precincts, chair credentials, and the append-only submission log with its projection.
CREATE TABLE results_elections (
    slug TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    election_date TEXT NOT NULL,
    definition TEXT NOT NULL,
    precincts INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE results_chair_codes (
    election TEXT NOT NULL REFERENCES results_elections (slug),
    precinct TEXT NOT NULL,
    code_sha256 TEXT NOT NULL UNIQUE,
    issued_at TEXT NOT NULL,
    first_sign_in TEXT,
    last_sign_in TEXT,
    sign_ins INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (election, precinct)
);
CREATE TABLE results_chair_tokens (
    token_sha256 TEXT PRIMARY KEY,
    election TEXT NOT NULL,
    precinct TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX results_chair_tokens_precinct ON results_chair_tokens (election, precinct);
-- The append-only log: every submission ever received, with the receipt it got.
CREATE TABLE results_log (
    seq INTEGER PRIMARY KEY,
    election TEXT NOT NULL REFERENCES results_elections (slug),
    client_id TEXT NOT NULL,
    precinct TEXT NOT NULL,
    contest TEXT NOT NULL,
    channel TEXT NOT NULL,
    version INTEGER NOT NULL,
    request_hash TEXT NOT NULL,
    submission TEXT NOT NULL,
    receipt TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (election, client_id)
);
CREATE INDEX results_log_precinct ON results_log (election, precinct, contest, seq);
CREATE TRIGGER results_log_no_update BEFORE UPDATE ON results_log
BEGIN SELECT RAISE(ABORT, 'the results log is append-only'); END;
CREATE TRIGGER results_log_no_delete BEFORE DELETE ON results_log
BEGIN SELECT RAISE(ABORT, 'the results log is append-only'); END;
-- The projection of the log: rebuildable at any time.
CREATE TABLE results_projection (
    election TEXT NOT NULL,
    precinct TEXT NOT NULL,
    contest TEXT NOT NULL,
    status TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (election, precinct, contest)
);
CREATE TABLE results_worksheets (
    id INTEGER PRIMARY KEY,
    election TEXT NOT NULL REFERENCES results_elections (slug),
    precinct TEXT NOT NULL,
    client_id TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    byte_len INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    actor TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (election, client_id)
);
CREATE TRIGGER results_worksheets_no_update BEFORE UPDATE ON results_worksheets
BEGIN SELECT RAISE(ABORT, 'worksheets are append-only'); END;
