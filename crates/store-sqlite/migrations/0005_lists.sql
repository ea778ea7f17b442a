-- Saved lists: a universe frozen as named membership, with its expression and date.
CREATE TABLE saved_lists (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    expression TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    voters INTEGER NOT NULL,
    voted_election TEXT,
    voted_removed INTEGER NOT NULL
);
CREATE TABLE saved_list_members (
    list_id INTEGER NOT NULL REFERENCES saved_lists (id) ON DELETE CASCADE,
    state_voter_id TEXT NOT NULL,
    PRIMARY KEY (list_id, state_voter_id)
) WITHOUT ROWID;

-- The data version the server's universe index watches (ListStore::data_version): a
-- counter bumped by every write to phones, contacts, survey answers, tags and scores;
-- snapshots, history and ballot files are watched through their files' rowids.
CREATE TABLE data_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO data_changes (id, version) VALUES (1, 0);
CREATE TRIGGER voter_phones_insert_version AFTER INSERT ON voter_phones
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER voter_phones_update_version AFTER UPDATE ON voter_phones
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER voter_phones_delete_version AFTER DELETE ON voter_phones
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER contact_events_insert_version AFTER INSERT ON contact_events
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER contact_events_update_version AFTER UPDATE ON contact_events
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER contact_events_delete_version AFTER DELETE ON contact_events
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER survey_answers_insert_version AFTER INSERT ON survey_answers
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER survey_answers_update_version AFTER UPDATE ON survey_answers
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER survey_answers_delete_version AFTER DELETE ON survey_answers
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER voter_tags_insert_version AFTER INSERT ON voter_tags
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER voter_tags_update_version AFTER UPDATE ON voter_tags
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER voter_tags_delete_version AFTER DELETE ON voter_tags
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER voter_scores_insert_version AFTER INSERT ON voter_scores
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER voter_scores_update_version AFTER UPDATE ON voter_scores
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER voter_scores_delete_version AFTER DELETE ON voter_scores
BEGIN UPDATE data_changes SET version = version + 1 WHERE id = 1; END;
