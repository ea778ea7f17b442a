-- votebase PostgreSQL schema, version 2: absentee and early-vote ballot events.
CREATE TABLE ballot_events (
    event_key TEXT COLLATE "C" PRIMARY KEY,
    state_voter_id TEXT COLLATE "C" NOT NULL,
    local_voter_id TEXT COLLATE "C" NOT NULL,
    county_name TEXT COLLATE "C" NOT NULL,
    election_date DATE NOT NULL,
    method TEXT NOT NULL,
    delivery_type TEXT NOT NULL,
    request_date DATE,
    send_date DATE,
    return_date DATE,
    return_status TEXT NOT NULL,
    category TEXT NOT NULL,
    rank BIGINT NOT NULL,
    site_name TEXT NOT NULL,
    same_day_registration BOOLEAN NOT NULL,
    request_party TEXT NOT NULL,
    first_seen DATE NOT NULL
);
CREATE INDEX ballot_events_voter ON ballot_events (election_date, state_voter_id, rank);
CREATE INDEX ballot_events_by_voter ON ballot_events (state_voter_id);

CREATE TABLE ballot_files (
    file_sha256 TEXT PRIMARY KEY,
    source_file TEXT NOT NULL,
    as_of DATE NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL,
    new_events BIGINT NOT NULL,
    unmatched BIGINT NOT NULL
);
