-- votebase SQLite schema, version 2: absentee and early-vote ballot events.
CREATE TABLE ballot_events (
    event_key TEXT PRIMARY KEY,
    state_voter_id TEXT NOT NULL,
    local_voter_id TEXT NOT NULL,
    county_name TEXT NOT NULL,
    election_date TEXT NOT NULL,
    method TEXT NOT NULL,
    delivery_type TEXT NOT NULL,
    request_date TEXT,
    send_date TEXT,
    return_date TEXT,
    return_status TEXT NOT NULL,
    category TEXT NOT NULL,
    rank INTEGER NOT NULL,
    site_name TEXT NOT NULL,
    same_day_registration INTEGER NOT NULL,
    request_party TEXT NOT NULL,
    first_seen TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX ballot_events_voter ON ballot_events (election_date, state_voter_id, rank);
CREATE INDEX ballot_events_by_voter ON ballot_events (state_voter_id);

CREATE TABLE ballot_files (
    file_sha256 TEXT PRIMARY KEY,
    source_file TEXT NOT NULL,
    as_of TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    new_events INTEGER NOT NULL,
    unmatched INTEGER NOT NULL
);
