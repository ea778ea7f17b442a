-- votebase PostgreSQL schema, version 1: snapshots, voters, changes, history, users, audit.
-- Runs inside the organization's own schema (search_path); never name a schema here.
-- Text columns that are searched, ordered or joined on use the "C" collation so that
-- prefix ranges and ordering compare code points, exactly as the SQLite backend does.
CREATE TABLE snapshots (
    id BIGINT PRIMARY KEY,
    as_of DATE NOT NULL,
    source_file TEXT NOT NULL,
    file_sha256 TEXT NOT NULL UNIQUE,
    imported_at TIMESTAMPTZ NOT NULL,
    voters BIGINT NOT NULL DEFAULT 0,
    added BIGINT NOT NULL DEFAULT 0,
    removed BIGINT NOT NULL DEFAULT 0,
    changed BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE voters (
    state_voter_id TEXT COLLATE "C" PRIMARY KEY,
    county_code TEXT COLLATE "C" NOT NULL,
    county_name TEXT COLLATE "C" NOT NULL,
    local_voter_id TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    status_reason TEXT COLLATE "C" NOT NULL,
    first_name TEXT COLLATE "C" NOT NULL,
    middle_name TEXT COLLATE "C" NOT NULL,
    last_name TEXT COLLATE "C" NOT NULL,
    name_suffix TEXT COLLATE "C" NOT NULL,
    raw_name TEXT COLLATE "C" NOT NULL,
    address_raw TEXT COLLATE "C" NOT NULL,
    house_number TEXT COLLATE "C" NOT NULL,
    pre_direction TEXT COLLATE "C" NOT NULL,
    street_name TEXT COLLATE "C" NOT NULL,
    street_suffix TEXT COLLATE "C" NOT NULL,
    post_direction TEXT COLLATE "C" NOT NULL,
    unit_type TEXT COLLATE "C" NOT NULL,
    unit TEXT COLLATE "C" NOT NULL,
    city TEXT COLLATE "C" NOT NULL,
    state TEXT COLLATE "C" NOT NULL,
    zip5 TEXT COLLATE "C" NOT NULL,
    zip4 TEXT COLLATE "C" NOT NULL,
    mail_address TEXT COLLATE "C" NOT NULL,
    phone_raw TEXT COLLATE "C" NOT NULL,
    phone_e164 TEXT COLLATE "C" NOT NULL,
    birth_year INTEGER,
    birth_date DATE,
    gender TEXT COLLATE "C" NOT NULL,
    race TEXT COLLATE "C" NOT NULL,
    ethnicity TEXT COLLATE "C" NOT NULL,
    party TEXT COLLATE "C" NOT NULL,
    party_code TEXT COLLATE "C" NOT NULL,
    registration_date DATE,
    precinct_code TEXT COLLATE "C" NOT NULL,
    precinct_name TEXT COLLATE "C" NOT NULL,
    congressional_district TEXT COLLATE "C" NOT NULL,
    state_senate_district TEXT COLLATE "C" NOT NULL,
    state_house_district TEXT COLLATE "C" NOT NULL,
    municipality TEXT COLLATE "C" NOT NULL,
    extra TEXT COLLATE "C" NOT NULL,
    row_hash BIGINT NOT NULL,
    present BOOLEAN NOT NULL,
    first_snapshot BIGINT NOT NULL,
    removed_snapshot BIGINT
);
CREATE INDEX voters_name ON voters (last_name, first_name);
CREATE INDEX voters_street ON voters (street_name, house_number);
CREATE INDEX voters_local_id ON voters (local_voter_id);

CREATE TABLE voter_changes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    snapshot_id BIGINT NOT NULL,
    state_voter_id TEXT COLLATE "C" NOT NULL,
    kind TEXT NOT NULL,
    field TEXT COLLATE "C" NOT NULL,
    old_value TEXT NOT NULL,
    new_value TEXT NOT NULL
);
CREATE INDEX voter_changes_voter ON voter_changes (state_voter_id, snapshot_id);
CREATE INDEX voter_changes_snapshot ON voter_changes (snapshot_id, kind);

CREATE TABLE vote_history (
    state_voter_id TEXT COLLATE "C" NOT NULL,
    election_date DATE NOT NULL,
    election_desc TEXT NOT NULL,
    voting_method TEXT NOT NULL,
    voted_party TEXT NOT NULL,
    county_name TEXT NOT NULL,
    precinct TEXT NOT NULL,
    PRIMARY KEY (state_voter_id, election_date)
);

CREATE TABLE history_files (
    file_sha256 TEXT PRIMARY KEY,
    source_file TEXT NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL,
    inserted BIGINT NOT NULL
);

CREATE TABLE users (
    name TEXT COLLATE "C" PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_tokens (
    token_sha256 TEXT PRIMARY KEY,
    user_name TEXT COLLATE "C" NOT NULL REFERENCES users (name),
    label TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sessions (
    session_sha256 TEXT PRIMARY KEY,
    user_name TEXT COLLATE "C" NOT NULL REFERENCES users (name),
    csrf_token TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL
);
