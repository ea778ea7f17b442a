-- votebase SQLite schema, version 3: phone numbers appended from purchased or collected lists.
CREATE TABLE voter_phones (
    state_voter_id TEXT NOT NULL,
    phone_e164 TEXT NOT NULL,
    source TEXT NOT NULL,
    probability REAL NOT NULL,
    shared_across_households INTEGER NOT NULL,
    appended_at TEXT NOT NULL,
    PRIMARY KEY (state_voter_id, phone_e164)
) WITHOUT ROWID;
CREATE INDEX voter_phones_phone ON voter_phones (phone_e164);
