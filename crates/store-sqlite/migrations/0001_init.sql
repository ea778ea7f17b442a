-- votebase SQLite schema, version 1: snapshots, voters, changes, history, users, audit.
CREATE TABLE snapshots (
    id INTEGER PRIMARY KEY,
    as_of TEXT NOT NULL,
    source_file TEXT NOT NULL,
    file_sha256 TEXT NOT NULL UNIQUE,
    imported_at TEXT NOT NULL,
    voters INTEGER NOT NULL DEFAULT 0,
    added INTEGER NOT NULL DEFAULT 0,
    removed INTEGER NOT NULL DEFAULT 0,
    changed INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE voters (
    state_voter_id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    county_name TEXT NOT NULL,
    local_voter_id TEXT NOT NULL,
    status TEXT NOT NULL,
    status_reason TEXT NOT NULL,
    first_name TEXT NOT NULL,
    middle_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    name_suffix TEXT NOT NULL,
    raw_name TEXT NOT NULL,
    address_raw TEXT NOT NULL,
    house_number TEXT NOT NULL,
    pre_direction TEXT NOT NULL,
    street_name TEXT NOT NULL,
    street_suffix TEXT NOT NULL,
    post_direction TEXT NOT NULL,
    unit_type TEXT NOT NULL,
    unit TEXT NOT NULL,
    city TEXT NOT NULL,
    state TEXT NOT NULL,
    zip5 TEXT NOT NULL,
    zip4 TEXT NOT NULL,
    mail_address TEXT NOT NULL,
    phone_raw TEXT NOT NULL,
    phone_e164 TEXT NOT NULL,
    birth_year INTEGER,
    birth_date TEXT,
    gender TEXT NOT NULL,
    race TEXT NOT NULL,
    ethnicity TEXT NOT NULL,
    party TEXT NOT NULL,
    party_code TEXT NOT NULL,
    registration_date TEXT,
    precinct_code TEXT NOT NULL,
    precinct_name TEXT NOT NULL,
    congressional_district TEXT NOT NULL,
    state_senate_district TEXT NOT NULL,
    state_house_district TEXT NOT NULL,
    municipality TEXT NOT NULL,
    extra TEXT NOT NULL,
    row_hash INTEGER NOT NULL,
    present INTEGER NOT NULL,
    first_snapshot INTEGER NOT NULL,
    removed_snapshot INTEGER
) WITHOUT ROWID;
CREATE INDEX voters_name ON voters (last_name, first_name);
CREATE INDEX voters_street ON voters (street_name, house_number);
CREATE INDEX voters_local_id ON voters (local_voter_id);

CREATE TABLE voter_changes (
    snapshot_id INTEGER NOT NULL,
    state_voter_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT NOT NULL,
    new_value TEXT NOT NULL
);
CREATE INDEX voter_changes_voter ON voter_changes (state_voter_id, snapshot_id);
CREATE INDEX voter_changes_snapshot ON voter_changes (snapshot_id, kind);

CREATE TABLE vote_history (
    state_voter_id TEXT NOT NULL,
    election_date TEXT NOT NULL,
    election_desc TEXT NOT NULL,
    voting_method TEXT NOT NULL,
    voted_party TEXT NOT NULL,
    county_name TEXT NOT NULL,
    precinct TEXT NOT NULL,
    PRIMARY KEY (state_voter_id, election_date)
) WITHOUT ROWID;

CREATE TABLE history_files (
    file_sha256 TEXT PRIMARY KEY,
    source_file TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    inserted INTEGER NOT NULL
);

CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
    token_sha256 TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users (name),
    label TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE sessions (
    session_sha256 TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users (name),
    csrf_token TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL
);
