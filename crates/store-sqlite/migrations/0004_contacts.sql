-- Contact history (door knocks, calls, texts, ad exposures), survey questions and answers, tags (activist codes) and support scores.

-- Survey questions of the organization; `support` (NationBuilder's 1-5 scale) is built in.
CREATE TABLE survey_questions (
    question_key TEXT PRIMARY KEY,
    question_text TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('scale', 'choice')),
    min_value INTEGER,
    max_value INTEGER,
    choices TEXT NOT NULL DEFAULT '[]'  -- JSON array of the choices, in order
);
INSERT INTO survey_questions (question_key, question_text, kind, min_value, max_value)
VALUES ('support', 'Support level: 1 strong support, 2 weak support, 3 undecided, 4 weak oppose, 5 strong oppose', 'scale', 1, 5);

-- One row per contact attempt; (source, source_event_id) makes loads idempotent.
CREATE TABLE contact_events (
    event_id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    source_event_id TEXT NOT NULL,
    state_voter_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    contacted_at TEXT NOT NULL,  -- YYYY-MM-DDTHH:MM:SS
    canvasser TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL,
    reached INTEGER NOT NULL,
    tags TEXT NOT NULL DEFAULT '',  -- tags applied by this event, space-separated
    UNIQUE (source, source_event_id)
);
CREATE INDEX contact_events_voter ON contact_events (state_voter_id, contacted_at);

CREATE TABLE survey_answers (
    event_id INTEGER NOT NULL REFERENCES contact_events (event_id),
    state_voter_id TEXT NOT NULL,
    question_key TEXT NOT NULL,
    answer TEXT NOT NULL,
    value INTEGER NOT NULL,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (event_id, question_key)
);
CREATE INDEX survey_answers_question ON survey_answers (question_key, state_voter_id, answered_at);

-- Tags (activist codes) per voter, kept from the first event that applied them.
CREATE TABLE voter_tags (
    state_voter_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (state_voter_id, tag)
);

-- Scores per voter (0-100) and the models that produced them.
CREATE TABLE voter_scores (
    score_name TEXT NOT NULL,
    state_voter_id TEXT NOT NULL,
    value INTEGER NOT NULL CHECK (value BETWEEN 0 AND 100),
    PRIMARY KEY (score_name, state_voter_id)
);
CREATE INDEX voter_scores_voter ON voter_scores (state_voter_id);
CREATE TABLE score_models (
    score_name TEXT PRIMARY KEY,
    model_json TEXT NOT NULL,
    trained_at TEXT NOT NULL
);

-- Answers already given to API requests made with an Idempotency-Key.
CREATE TABLE idempotency_keys (
    user_name TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_name, idempotency_key)
);
