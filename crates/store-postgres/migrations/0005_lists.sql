-- Saved lists: a universe frozen as named membership, with its expression and date.
CREATE TABLE saved_lists (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    expression TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL,
    voters BIGINT NOT NULL,
    voted_election DATE,
    voted_removed BIGINT NOT NULL
);
CREATE TABLE saved_list_members (
    list_id BIGINT NOT NULL REFERENCES saved_lists (id) ON DELETE CASCADE,
    state_voter_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (list_id, state_voter_id)
);

-- The data version the server's universe index watches (ListStore::data_version): one
-- row per transaction that wrote to a table an index is built from (statement
-- triggers). Rows become visible when their transaction commits, so a version read as
-- count and maximum changes after every such commit, whatever the commit order; no row
-- is shared, so concurrent writers never wait on each other. Old rows are pruned.
CREATE TABLE data_changes (
    id BIGSERIAL PRIMARY KEY,
    txid BIGINT NOT NULL UNIQUE DEFAULT txid_current()
);
CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    new_id BIGINT;
BEGIN
    INSERT INTO data_changes DEFAULT VALUES ON CONFLICT (txid) DO NOTHING RETURNING id INTO new_id;
    IF new_id IS NOT NULL AND new_id % 100 = 0 THEN
        DELETE FROM data_changes WHERE id < new_id - 200;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER snapshots_version AFTER INSERT OR UPDATE OR DELETE ON snapshots
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER voters_version AFTER INSERT OR UPDATE OR DELETE ON voters
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER vote_history_version AFTER INSERT OR UPDATE OR DELETE ON vote_history
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER ballot_events_version AFTER INSERT OR UPDATE OR DELETE ON ballot_events
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER voter_phones_version AFTER INSERT OR UPDATE OR DELETE ON voter_phones
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER contact_events_version AFTER INSERT OR UPDATE OR DELETE ON contact_events
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER survey_answers_version AFTER INSERT OR UPDATE OR DELETE ON survey_answers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER voter_tags_version AFTER INSERT OR UPDATE OR DELETE ON voter_tags
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER voter_scores_version AFTER INSERT OR UPDATE OR DELETE ON voter_scores
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
