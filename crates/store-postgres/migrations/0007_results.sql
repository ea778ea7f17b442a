-- Election-night results: elections, contests, precincts, chair credentials, and the append-only submission log with its projection.
CREATE TABLE results_elections (
    slug TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    election_date DATE NOT NULL,
    definition JSONB NOT NULL,
    precincts BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE results_chair_codes (
    election TEXT NOT NULL REFERENCES results_elections (slug),
    precinct TEXT NOT NULL,
    code_sha256 TEXT NOT NULL UNIQUE,
    issued_at TIMESTAMPTZ NOT NULL,
    first_sign_in TIMESTAMPTZ,
    last_sign_in TIMESTAMPTZ,
    sign_ins BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (election, precinct)
);
CREATE TABLE results_chair_tokens (
    token_sha256 TEXT PRIMARY KEY,
    election TEXT NOT NULL,
    precinct TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX results_chair_tokens_precinct ON results_chair_tokens (election, precinct);
-- The append-only log: every submission ever received, with the receipt it got.
CREATE TABLE results_log (
    seq BIGINT PRIMARY KEY,
    election TEXT NOT NULL REFERENCES results_elections (slug),
    client_id TEXT NOT NULL,
    precinct TEXT NOT NULL,
    contest TEXT NOT NULL,
    channel TEXT NOT NULL,
    version INTEGER NOT NULL,
    request_hash TEXT NOT NULL,
    submission TEXT NOT NULL,
    receipt TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    UNIQUE (election, client_id)
);
CREATE SEQUENCE results_log_seq OWNED BY results_log.seq;
CREATE INDEX results_log_precinct ON results_log (election, precinct, contest, seq);
CREATE FUNCTION results_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the results log is append-only'; END $$;
CREATE TRIGGER results_log_no_change BEFORE UPDATE OR DELETE ON results_log
FOR EACH ROW EXECUTE FUNCTION results_append_only();
-- The projection of the log: rebuildable at any time.
CREATE TABLE results_projection (
    election TEXT NOT NULL,
    precinct TEXT NOT NULL,
    contest TEXT NOT NULL,
    status TEXT NOT NULL,
    last_seq BIGINT NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (election, precinct, contest)
);
CREATE TABLE results_worksheets (
    id BIGSERIAL PRIMARY KEY,
    election TEXT NOT NULL REFERENCES results_elections (slug),
    precinct TEXT NOT NULL,
    client_id TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    byte_len BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    actor TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    UNIQUE (election, client_id)
);
CREATE TRIGGER results_worksheets_no_change BEFORE UPDATE OR DELETE ON results_worksheets
FOR EACH ROW EXECUTE FUNCTION results_append_only();
