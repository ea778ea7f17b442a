-- votebase PostgreSQL schema, version 3: phone numbers appended from purchased or collected lists.
CREATE TABLE voter_phones (
    state_voter_id TEXT COLLATE "C" NOT NULL,
    phone_e164 TEXT NOT NULL,
    source TEXT NOT NULL,
    probability DOUBLE PRECISION NOT NULL,
    shared_across_households BOOLEAN NOT NULL,
    appended_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (state_voter_id, phone_e164)
);
CREATE INDEX voter_phones_phone ON voter_phones (phone_e164);
